"""Anchors: the trail's head written somewhere the database's users cannot reach.

One anchor is one JSON line: when, how many entries, the last id, and per lane the head
entry's id, the number of entries up to it and its hash, plus one digest of those heads.
Later, `check` confirms the trail still holds each anchored head: a truncated trail, a
deleted tail behind the anchor, or a chain recomputed after a rewrite (even with the key)
no longer matches."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max
from django.utils import timezone

from .models import AuditEvent

# (lane, head id, entries in the lane up to and including the head, head hash)
LaneHead = tuple[int, int, int, str]


def _digest(lanes: list[LaneHead]) -> str:
    return hashlib.sha256(json.dumps(lanes, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    at: str
    count: int
    last_id: int
    hash: str
    lanes: list[LaneHead]

    def line(self) -> str:
        return json.dumps({"at": self.at, "count": self.count, "last_id": self.last_id,
                           "hash": self.hash, "lanes": self.lanes}, separators=(",", ":"))

    @classmethod
    def parse(cls, line: str) -> Head:
        try:
            data = json.loads(line)
            lanes = [(int(a), int(b), int(c), str(d)) for a, b, c, d in data["lanes"]]
            head = cls(str(data["at"]), int(data["count"]), int(data["last_id"]),
                       str(data["hash"]), lanes)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"unreadable ({type(exc).__name__})") from None
        if head.hash != _digest(lanes) or head.count != sum(lane[2] for lane in lanes):
            raise ValueError("its digest does not match its lanes (the line was edited)")
        return head


def current_head(now: datetime | None = None) -> Head:
    """The committed heads of every lane. One statement, so one consistent snapshot: a lane's
    entries up to its head never change afterwards (a later entry in a lane gets a larger id,
    as the lane's lock is held until the earlier one commits)."""
    rows = list(AuditEvent.objects.values("lane").annotate(n=Count("id"), last=Max("id"))
                .order_by("lane").values_list("lane", "n", "last"))
    hashes = dict(AuditEvent.objects.filter(pk__in=[last for _, _, last in rows])
                  .values_list("id", "hash"))
    lanes: list[LaneHead] = [(lane, last, n, hashes[last]) for lane, n, last in rows]
    return Head(at=(now or timezone.now()).isoformat(timespec="seconds"),
                count=sum(n for _, n, _ in rows), last_id=max((r[2] for r in rows), default=0),
                hash=_digest(lanes), lanes=lanes)


def check(head: Head) -> str:
    """'' when the trail still holds `head`, else what is wrong."""
    for lane, head_id, count, head_hash in head.lanes:
        found = AuditEvent.objects.filter(pk=head_id).values_list("lane", "hash").first()
        if found is None:
            return f"entry {head_id} (lane {lane} head) is gone: the trail was truncated"
        if found != (lane, head_hash):
            return f"entry {head_id} (lane {lane} head) differs: the trail was rewritten"
        have = AuditEvent.objects.filter(lane=lane, id__lte=head_id).count()
        if have != count:
            return (f"lane {lane} holds {have} entries up to {head_id}, the anchor recorded "
                    f"{count}: entries were removed or inserted")
    return ""
