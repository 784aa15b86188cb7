"""`record`: the one way to write the audit trail."""

from __future__ import annotations

import json
import uuid
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .chain import GENESIS, entry_hash
from .models import PATIENT_IDS, Action, AuditEvent

if TYPE_CHECKING:
    from ketacare.accounts.staff import Staff

# Advisory lock class (any constant) and how many lanes the trail has. A writer holds its
# lane's lock until its transaction ends, so two entries never share a parent; with more
# lanes than concurrent transactions nobody waits for another (docs/audit.md).
_CHAIN_LOCK = 7_260_519
LANES = 16


class Named:
    """The patients named by the audit entries a web request has written and not rolled
    back. The read-audit middleware writes a read entry only for a patient the request
    showed that no such entry names, and learns it from here without a query."""

    def __init__(self) -> None:
        self._committed: set[uuid.UUID] = set()

    def _committed_one(self, patient_id: uuid.UUID) -> None:
        self._committed.add(patient_id)

    def written(self, patient_id: uuid.UUID) -> None:
        # Counted once the entry commits: a rolled-back action's entry was never written, so
        # its patient still needs the read entry (Django drops the callback on rollback).
        transaction.on_commit(partial(self._committed_one, patient_id))

    def patients(self) -> set[uuid.UUID]:
        # A callback still pending means the entry sits in a transaction that has neither
        # committed nor rolled back when the response is done: only a test's outer
        # transaction (no request runs inside one in production). It is not lost.
        callbacks = [waiting[1] for waiting in connection.run_on_commit]  # (sids, func, ...)
        pending = {f.args[0] for f in callbacks
                   if isinstance(f, partial) and f.func == self._committed_one}
        return self._committed | pending


_named: ContextVar[Named | None] = ContextVar("ketacare_audit_named", default=None)


@contextmanager
def collecting_named() -> Iterator[Named]:
    """Within the block, every entry that names a patient is noted in the yielded `Named`."""
    named = Named()
    token = _named.set(named)
    try:
        yield named
    finally:
        _named.reset(token)


def audit_key() -> bytes:
    return str(settings.KETACARE_AUDIT_KEY).encode()


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR in the form the database stores it (IPv6 compressed, as Django's
    GenericIPAddressField and PostgreSQL's inet do): the hash is computed before the row is
    written, so a value the database rewrites would read back as tampering. Anything that
    is not an address (a misconfigured proxy) is dropped rather than failing the action."""
    if request is None:
        return None
    addr = str(request.META.get("REMOTE_ADDR") or "")
    try:
        validate_ipv46_address(addr)
    except ValidationError:
        return None
    return clean_ipv6_address(addr) if ":" in addr else addr


def entry(
    action: Action | str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    role: str = "",
    clinic_id: int | None = None,
    patient_id: uuid.UUID | str | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """An entry not yet chained nor written: give it to `write`."""
    staff = getattr(request, "staff", None) if request is not None else None
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if staff is not None:
        role = role or staff.role_label
        clinic_id = clinic_id or staff.clinic.pk
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    return AuditEvent(
        at=timezone.now(),
        user_id=user.pk if user is not None else None,
        username=username or (user.get_username() if user is not None else ""),
        role=role,
        clinic_id=clinic_id,
        # A UUID as read back (lower-case), whatever form the caller passed.
        patient_id=uuid.UUID(str(patient_id)) if patient_id is not None else None,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        ip=client_ip(request),
        detail=detail or {},
    )


def _chain(events: list[AuditEvent], lane: int, prev: str, key: bytes) -> None:
    for event in events:
        event.lane, event.prev_hash = lane, prev
        event.hash = prev = entry_hash(prev, event.chained_fields(), key)


# The hash each PostgreSQL connection last wrote, and on which lane: its guess of that lane's
# head. Only a guess: the database checks it under the lane lock (migration 0005).
_last_written: weakref.WeakKeyDictionary[Any, tuple[int, str]] = weakref.WeakKeyDictionary()


def _append(lane: int, events: list[AuditEvent]) -> tuple[int, str, list[int] | None]:
    """`ketacare_audit_append`: lock `lane` (or another if it is busy), and insert `events`
    if they follow its head. Returns the lane taken, its head, and the new ids (None when
    nothing was written)."""
    rows = [{**e.chained_fields(), "prev_hash": e.prev_hash, "hash": e.hash} for e in events]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ketacare_audit_append(%s, %s, %s, %s::jsonb)",
                       [_CHAIN_LOCK, LANES, lane, json.dumps(rows)])
        taken, head, ids = cursor.fetchone()
    return taken, head, ids


def _write_postgresql(events: list[AuditEvent], key: bytes) -> None:
    """One round trip when this connection's last hash is still its lane's head (outside a
    transaction the statement is its own); otherwise the head is looked up under the lane
    lock and the entries inserted in the same transaction."""
    connection.ensure_connection()
    pg = connection.connection
    guess = _last_written.get(pg)
    if guess is not None:
        lane, head = guess
        _chain(events, lane, head, key)
        ids = _append(lane, events)[2]
        # Missed: another connection wrote on that lane (or our last entry rolled back).
        # Start from the next lane, so connections that shared a lane spread out.
        start = (lane + 1) % LANES
    else:
        ids, start = None, pg.info.backend_pid % LANES
    if ids is None:
        with transaction.atomic():  # the lane stays locked from the lookup to the insert
            lane, head, _ = _append(start, [])
            _chain(events, lane, head, key)
            ids = _append(lane, events)[2]
    if ids is None or len(ids) != len(events):  # the lane is held: cannot happen
        raise RuntimeError("audit entries not written")
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding, event._state.db = False, connection.alias
    _last_written[pg] = (events[-1].lane, events[-1].hash)


def write(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain `events` one after the other on one lane and insert them together: on
    PostgreSQL usually one statement however many entries a response produces; on SQLite
    (one writer at a time, IMMEDIATE transactions) in lane 0, after one head lookup."""
    if not events:
        return events
    key = audit_key()
    if connection.vendor == "postgresql":
        _write_postgresql(events, key)
    else:
        with transaction.atomic():
            prev = (AuditEvent.objects.filter(lane=0).order_by("-id")
                    .values_list("hash", flat=True).first()) or GENESIS
            _chain(events, 0, prev, key)
            # Inserted in list order, so ids ascend along the chain as `verify` walks it.
            events = AuditEvent.objects.bulk_create(events)
    named = _named.get()
    if named is not None:
        for event in events:
            for patient_id in event.patients():
                named.written(patient_id)
    return events


def record(action: Action | str, **fields: Any) -> AuditEvent:
    """Append one entry. Inside the caller's transaction when there is one, so an action
    and its audit entry are written together or not at all."""
    return write([entry(action, **fields)])[0]


def record_patient(staff: Staff, action: Action | str, patient_id: uuid.UUID, obj: Any, *,
                   request: HttpRequest | None = None,
                   detail: dict[str, Any] | None = None) -> AuditEvent:
    """A staff member's action on one patient's record."""
    return record(action, request=request, user=staff.user, role=staff.role_label,
                  clinic_id=staff.clinic.pk, patient_id=patient_id, obj=obj, detail=detail)


def patient_ids(values: Iterable[object]) -> list[str]:
    """The distinct patient ids a response lists, sorted: its entry's `patient_ids`."""
    return sorted({str(v) for v in values if v})


def record_reads(staff: Staff, action: Action | str, request: HttpRequest | None,
                 object_type: str, rows: Iterable[tuple[object, str]],
                 detail: dict[str, Any], *, matched: Iterable[object] = ()) -> AuditEvent:
    """What one list or search response showed, `rows` being (patient id or None, object
    id or "") pairs and `matched` the patients it told about without returning their
    records (a FHIR search naming them): one entry, as for every other response. It names
    one patient in `patient_id`, several in its detail's `patient_ids` (sorted), where
    "who saw this patient" finds them too (`AuditEvent.names`); the object ids, joined, fill
    `object_id` as far as it goes. One row instead of one per patient: at 50 patients a
    page, the per-patient rows were a fifth of a FHIR search's cost (issue 17)."""
    rows = list(rows)
    patients = patient_ids([*(p for p, _ in rows), *matched])
    if len(patients) > 1:
        detail = {**detail, PATIENT_IDS: patients}
    return record(action, request=request, user=staff.user, role=staff.role_label,
                  clinic_id=staff.clinic.pk,
                  patient_id=patients[0] if len(patients) == 1 else None,
                  object_type=object_type,
                  object_id=",".join(o for _, o in rows if o)[:64], detail=detail)
