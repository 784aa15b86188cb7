"""The entries of one list response are written together (`record_reads`): one entry per
patient, chained one after the other on one lane, in one INSERT; `ketacare audit verify`
still finds the chain intact, and each entry carries its patient_id (what "who saw this
patient" filters on)."""

from __future__ import annotations

import io
import uuid

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.staff import staff_for
from ketacare.audit import chain
from ketacare.audit.log import audit_key, record, record_reads
from ketacare.audit.models import Action, AuditEvent


def stored_chain() -> list[chain.Entry]:
    return [(e.pk, e.lane, e.prev_hash, e.hash, e.chained_fields())
            for e in AuditEvent.objects.order_by("id")]


def _writes(ctx: CaptureQueriesContext) -> int:
    """Statements that wrote entries: INSERTs (SQLite), calls of the append function
    (PostgreSQL, migration 0005: the connection's previous entry is still its lane's head,
    so the call is the only statement)."""
    sql = [q["sql"].lstrip().upper() for q in ctx.captured_queries]
    if connection.vendor == "postgresql":
        assert len(sql) == 1
    return sum(s.startswith(("INSERT", "SELECT * FROM KETACARE_AUDIT_APPEND")) for s in sql)


def test_one_response_writes_its_entries_in_one_statement(audit, admin_a, clinic_a):
    staff = staff_for(admin_a, clinic_a)
    record(Action.SIGN_IN, user=admin_a)
    patients = sorted(str(uuid.uuid4()) for _ in range(120))
    rows = [(p, f"obs-{i}") for i, p in enumerate(patients)] + [(patients[0], "obs-x")]
    with CaptureQueriesContext(connection) as ctx:
        record_reads(staff, Action.SEARCH, None, "fhir:Observation", rows, {"via": "fhir"})
    assert _writes(ctx) == 1
    written = list(AuditEvent.objects.filter(action="search").order_by("id"))
    assert [str(e.patient_id) for e in written] == patients
    assert written[0].object_id == "obs-0,obs-x"
    assert len({e.lane for e in written}) == 1
    assert all(b.prev_hash == a.hash for a, b in zip(written, written[1:], strict=False))
    assert chain.verify(stored_chain(), audit_key()) == (121, None)
    record(Action.SIGN_OUT, user=admin_a)  # the lane goes on from the last of them
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue() == "OK: 122 entries, chain intact\n"


def test_a_response_without_patients_is_one_entry(audit, admin_a, clinic_a):
    staff = staff_for(admin_a, clinic_a)
    record_reads(staff, Action.SEARCH, None, "ledgerentry", [(None, ""), (None, "")],
                 {"count": 2})
    (entry,) = AuditEvent.objects.all()
    assert entry.patient_id is None and entry.object_id == "" and entry.clinic_id == clinic_a.pk
