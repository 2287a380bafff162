from django.db import migrations, models


def count_stored_failures(apps, schema_editor):
    """A workflow stored as failed before the count existed failed once."""
    WorkflowSession = apps.get_model("flowscope", "WorkflowSession")
    WorkflowSession.objects.filter(status="failed").update(failed_attempts=1)


class Migration(migrations.Migration):

    dependencies = [
        ('flowscope', '0012_alert_event'),
    ]

    operations = [
        migrations.AddField(
            model_name='workflowsession',
            name='failed_attempts',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_stored_failures, migrations.RunPython.noop),
    ]
