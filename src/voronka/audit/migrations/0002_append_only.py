"""The audit trail is append-only: users with entries cannot be deleted, and on PostgreSQL a trigger refuses
UPDATE and DELETE of entries (the ORM refuses them on every database: ``core.append_only``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from voronka.core.append_only import refuse_changes_sql

TABLE = "audit_auditentry"


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(refuse_changes_sql(TABLE)[0], params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(refuse_changes_sql(TABLE)[1], params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="actor"),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
