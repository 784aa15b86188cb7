"""API tokens expire: existing tokens get a year from their creation."""

from datetime import timedelta

from django.db import migrations, models


def _a_year_after_creation(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("interop", "ApiToken")
    for token in ApiToken.objects.all():
        token.expires_at = token.created_at + timedelta(days=365)
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [("interop", "0001_initial")]

    operations = [
        migrations.AddField(model_name="apitoken", name="expires_at",
                            field=models.DateTimeField(null=True)),
        migrations.RunPython(_a_year_after_creation, migrations.RunPython.noop),
        migrations.AlterField(model_name="apitoken", name="expires_at",
                              field=models.DateTimeField()),
    ]
