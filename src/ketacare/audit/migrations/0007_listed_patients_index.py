"""PostgreSQL: an index of the patients an entry lists in its detail (`patient_ids`).

A list or search response now writes one entry naming its patients in the detail's
`patient_ids` instead of one entry per patient (issue 17), and the web's list pages always
did. "Who saw this patient" (the audit page's MRN filter, `AuditEvent.names`) asks for
`(detail -> 'patient_ids') @> '["<id>"]'`, which this GIN index answers without reading
the clinic's whole trail. Partial: only entries that list patients are in it, so the
entries of single pages (most of the trail) cost it nothing to write. SQLite searches the
list's text instead (no index).
"""

from __future__ import annotations

from django.db import migrations

from ketacare.migration_sql import vendor_sql

STATEMENTS = {"postgresql": (
    ["CREATE INDEX IF NOT EXISTS audit_listed_patients ON audit_auditevent "
     "USING gin ((detail -> 'patient_ids') jsonb_path_ops) WHERE detail ? 'patient_ids'"],
    ["DROP INDEX IF EXISTS audit_listed_patients"],
)}


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_append_in_one_insert")]

    operations = [vendor_sql(STATEMENTS)]
