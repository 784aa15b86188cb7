"""The ledger's own integrity: each stock item's entries form an HMAC chain (keyed like the
audit trail, `KETACARE_AUDIT_KEY`), and `verify_item` checks an item end to end: sequence
numbers 1..n without a gap, every stored balance equal to the previous one plus the entry's
delta, and every hash. `ketacare ledger verify` runs it over every item."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ketacare.audit.chain import GENESIS, entry_hash

# What the hash covers, frozen: a column added later is not silently part of old hashes.
CHAINED = (
    "clinic_id", "stock_item_id", "seq", "kind", "delta_ml", "balance_after_ml",
    "delta_devices", "balance_after_devices", "counted_ml", "counted_devices", "count_kind",
    "vials", "lot", "expiry", "supplier", "invoice", "counterparty", "patient_id",
    "session_ref", "witness_id", "method", "reason", "note", "reverses_id", "recorded_by_id",
    "recorded_at",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):  # 10 and 10.000 (as read back) hash alike
        text = f"{value.normalize():f}"
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def chained_fields(entry: Any) -> dict[str, Any]:
    """Works on the model and on a migration's historical model alike."""
    return {name: _canonical(getattr(entry, name)) for name in CHAINED}


def seal(entry: Any, prev_hash: str, key: bytes) -> None:
    entry.prev_hash = prev_hash or GENESIS
    entry.hash = entry_hash(entry.prev_hash, chained_fields(entry), key)


def verify_item(entries: Iterable[Any], key: bytes) -> tuple[int, str]:
    """Entries of one item in seq order -> (how many checked, first problem or '')."""
    prev_hash, balance, checked = GENESIS, Decimal(0), 0
    for entry in entries:
        checked += 1
        if entry.seq != checked:
            return checked, (f"entry #{checked} is missing (found #{entry.seq} next): an "
                             "entry was removed or renumbered")
        delta = entry.delta_devices if entry.delta_devices is not None else entry.delta_ml
        after = (entry.balance_after_devices if entry.balance_after_devices is not None
                 else entry.balance_after_ml)
        balance += Decimal(delta or 0)
        if Decimal(after or 0) != balance:
            return checked, (f"entry #{entry.seq}: stored balance {after} but the entries "
                             f"add up to {balance}")
        if entry.prev_hash != prev_hash:
            return checked, f"entry #{entry.seq} does not follow #{entry.seq - 1} in the chain"
        if not hmac.compare_digest(entry_hash(prev_hash, chained_fields(entry), key),
                                   entry.hash):
            return checked, f"entry #{entry.seq} was changed after it was written"
        prev_hash = entry.hash
    return checked, ""
