"""An HMAC chain per stock item (ledger/integrity.py). Existing entries are chained in
sequence order with the key; the append-only triggers are lifted for that and put back
(SQLite drops them anyway when it rebuilds the table). Run as the tables' owner."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.db import migrations, models

from ketacare.audit.chain import GENESIS
from ketacare.migration_sql import vendor_sql
from ketacare.ledger.integrity import seal

append_only = importlib.import_module("ketacare.ledger.migrations.0002_append_only")


def _chain(apps: Any, schema_editor: Any) -> None:
    entry_model = apps.get_model("ledger", "LedgerEntry")
    key = str(settings.KETACARE_AUDIT_KEY).encode()
    prev: dict[int, str] = {}
    for entry in entry_model.objects.order_by("stock_item_id", "seq").iterator():
        seal(entry, prev.get(entry.stock_item_id, GENESIS), key)
        # The historical manager is a plain one: update() is allowed here.
        entry_model.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash,
                                                       hash=entry.hash)
        prev[entry.stock_item_id] = entry.hash


# The append-only triggers: lifted (their "remove" statements run forward) and put back.
LIFT = {vendor: (remove, install) for vendor, (install, remove) in append_only.STATEMENTS.items()}


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0002_append_only'),
    ]

    operations = [
        vendor_sql(LIFT),
        migrations.AddField(
            model_name='ledgerentry',
            name='hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(_chain, migrations.RunPython.noop),
        vendor_sql(append_only.STATEMENTS),
    ]
