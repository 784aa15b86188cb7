"""The hash chains, framework-free.

Each entry's hash is an HMAC-SHA256, keyed with a secret kept outside the database
(`KETACARE_AUDIT_KEY`), over its own fields and the previous entry's hash: changing,
inserting or removing any row breaks every hash after it, and someone who can write the
database but does not hold the key cannot compute a replacement chain.

The audit trail is several chains ("lanes") rather than one, so concurrent writers do not
queue behind a single lock: each entry belongs to one lane and follows that lane's previous
entry (docs/audit.md). The ledger keeps one chain per stock item."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, fields: Mapping[str, Any], key: bytes) -> str:
    message = f"{prev_hash}|{canonical(fields)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def legacy_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The unkeyed SHA-256 chain of releases before the key; read by the migration only."""
    return hashlib.sha256(f"{prev_hash}|{canonical(fields)}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


# (id, lane, prev_hash, hash, fields)
Entry = tuple[int, int, str, str, Mapping[str, Any]]


def verify(entries: Iterable[Entry], key: bytes) -> tuple[int, Break | None]:
    """Walk entries in id order (each lane's entries follow each other in id order); return
    how many were checked and the first break, if any."""
    expected_prev: dict[int, str] = {}
    checked = 0
    for entry_id, lane, prev_hash, stored_hash, fields in entries:
        checked += 1
        if prev_hash != expected_prev.get(lane, GENESIS):
            return checked, Break(entry_id, "does not follow the previous entry (one removed "
                                            "or inserted before it)")
        if not hmac.compare_digest(entry_hash(prev_hash, fields, key), stored_hash):
            return checked, Break(entry_id, "its contents were changed after it was written "
                                            "(or it was written without the audit key)")
        expected_prev[lane] = stored_hash
    return checked, None
