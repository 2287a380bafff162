from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flowscope", "0016_invariant_check"),
    ]

    operations = [
        migrations.AddField(
            model_name="workflowsession",
            name="release",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddIndex(
            model_name="workflowsession",
            index=models.Index(fields=["release", "-started_at"], name="fs_wf_release"),
        ),
    ]
