# Correlation IDs and delivery keys compared case included on MySQL/MariaDB too.

import flowscope.fields
from django.db import migrations


class AlterFieldOnMySQL(migrations.AlterField):
    """Only MySQL's columns change (their collation): elsewhere the schema is the same, and
    SQLite would rebuild each table for nothing."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "mysql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "mysql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('flowscope', '0010_task_layer'),
    ]

    operations = [
        AlterFieldOnMySQL(
            model_name='deliveryreceipt',
            name='key',
            field=flowscope.fields.ExactCharField(max_length=200, unique=True),
        ),
        AlterFieldOnMySQL(
            model_name='testrun',
            name='correlation_id',
            field=flowscope.fields.ExactCharField(max_length=64),
        ),
        AlterFieldOnMySQL(
            model_name='workflowsession',
            name='correlation_id',
            field=flowscope.fields.ExactCharField(max_length=64, unique=True),
        ),
    ]
