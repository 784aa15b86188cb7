"""The hash chain, framework-free: each entry's hash covers its own fields and the
previous entry's hash, so changing or removing any row breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def verify(entries: Iterable[tuple[int, str, str, Mapping[str, Any]]]) -> tuple[int, Break | None]:
    """Walk (id, prev_hash, hash, fields) in order; return how many entries were checked
    and the first break, if any."""
    expected_prev = GENESIS
    checked = 0
    for entry_id, prev_hash, stored_hash, fields in entries:
        checked += 1
        if prev_hash != expected_prev:
            return checked, Break(entry_id, "does not follow the previous entry (one removed "
                                            "or inserted before it)")
        if entry_hash(prev_hash, fields) != stored_hash:
            return checked, Break(entry_id, "its contents were changed after it was written")
        expected_prev = stored_hash
    return checked, None
