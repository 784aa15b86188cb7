"""Key the audit chain (HMAC with KETACARE_AUDIT_KEY) and split it into lanes.

Existing entries are first checked against the old unkeyed chain (a broken chain stops the
migration: re-keying must never launder tampering), then re-chained with the key in lane 0.
The append-only triggers are lifted for that and put back (SQLite drops them anyway when it
rebuilds the table for the new column). Run as the tables' owner, like every migration.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.db import migrations, models

from ketacare.audit.chain import GENESIS, entry_hash, legacy_hash
from ketacare.migration_sql import vendor_sql

append_only = importlib.import_module("ketacare.audit.migrations.0002_append_only")


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """AuditEvent.chained_fields as of this migration."""
    return {
        "at": row["at"].isoformat(),
        "user_id": row["user_id"],
        "username": row["username"],
        "role": row["role"],
        "clinic_id": row["clinic_id"],
        "patient_id": str(row["patient_id"]) if row["patient_id"] else None,
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "ip": row["ip"],
        "detail": row["detail"],
    }


def _rechain(apps: Any, keyed: bool) -> None:
    event = apps.get_model("audit", "AuditEvent")
    key = str(settings.KETACARE_AUDIT_KEY).encode()
    old_prev, new_prev = GENESIS, GENESIS
    for row in event.objects.order_by("id").values():
        fields = _fields(row)
        old = entry_hash(row["prev_hash"], fields, key) if not keyed else legacy_hash(
            row["prev_hash"], fields)
        if row["prev_hash"] != old_prev or row["hash"] != old:
            raise RuntimeError(
                f"audit entry {row['id']} does not verify; the trail was altered before this "
                "migration. Investigate (ketacare audit verify) before re-keying.")
        old_prev = row["hash"]
        new = entry_hash(new_prev, fields, key) if keyed else legacy_hash(new_prev, fields)
        event.objects.filter(pk=row["id"]).update(prev_hash=new_prev, hash=new, lane=0)
        new_prev = new


# The append-only triggers: lifted (their "remove" statements run forward) and put back.
LIFT = {vendor: (remove, install) for vendor, (install, remove) in append_only.STATEMENTS.items()}


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        vendor_sql(LIFT),
        migrations.AddField(
            model_name='auditevent',
            name='lane',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['lane', '-id'], name='audit_lane_head'),
        ),
        migrations.RunPython(lambda apps, se: _rechain(apps, True),
                             lambda apps, se: _rechain(apps, False)),
        vendor_sql(append_only.STATEMENTS),
    ]
