"""A session's own creation time, so its FHIR Encounter's _lastUpdated is a value of its
own row (indexed for the clinic-wide search). Existing sessions were created with their
course: they take its creation time."""

import django.db.models.functions.comparison
import django.utils.timezone
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def from_course(apps, schema_editor):  # type: ignore[no-untyped-def]
    Session = apps.get_model("treatment", "Session")
    Course = apps.get_model("treatment", "Course")
    Session.objects.update(created_at=Subquery(
        Course.objects.filter(pk=OuterRef("course_id")).values("created_at")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("treatment", "0005_dose_dose_updated_vitalsigns_vitals_taken_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RunPython(from_course, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="session",
            index=models.Index(
                django.db.models.functions.comparison.Greatest(
                    django.db.models.functions.comparison.Coalesce("checked_in_at", "created_at"),
                    django.db.models.functions.comparison.Coalesce("override_at", "created_at"),
                    django.db.models.functions.comparison.Coalesce("discharged_at", "created_at"),
                    django.db.models.functions.comparison.Coalesce("signed_at", "created_at"),
                    "created_at"),
                name="session_updated"),
        ),
    ]
