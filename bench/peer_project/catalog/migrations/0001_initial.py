from decimal import Decimal

from django.db import migrations, models

CATEGORIES = ["tools", "garden", "kitchen", "books", "toys"]


def seed(apps, schema_editor):
    """200 items, the same every time."""
    Item = apps.get_model("catalog", "Item")
    Item.objects.bulk_create(
        Item(
            name=f"item {n}",
            category=CATEGORIES[n % len(CATEGORIES)],
            price=Decimal(n * 37 % 1000) + Decimal("0.99"),
        )
        for n in range(200)
    )


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("category", models.CharField(db_index=True, max_length=20)),
                ("price", models.DecimalField(decimal_places=2, max_digits=8)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
