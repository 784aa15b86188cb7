"""Indexes for the patient list's search on PostgreSQL (issue 17 item 6).

The search is a case-blind prefix match: Django writes `istartswith` as
UPPER(col::text) LIKE UPPER('riv%'), which a plain btree on the column cannot serve (every
patient of the clinic was read). An expression index on UPPER(col) with text_pattern_ops
serves LIKE 'X%' whatever the database's collation, and the equality of the MRN match.
SQLite needs nothing: its LIKE is case-blind already and the clinic's rows are read from
the (clinic, family name) index; the operation does nothing there."""

from django.db import migrations

FIELDS = ("family_name", "given_name", "mrn")


def _create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS patient_{field}_prefix ON patients_patient "
            f"(clinic_id, UPPER({field}::text) text_pattern_ops)")


def _drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS patient_{field}_prefix")


class Migration(migrations.Migration):

    dependencies = [("patients", "0003_weight_identifier")]

    operations = [migrations.RunPython(_create, _drop)]
