"""One list or search response is one audit entry (`record_reads`), written in one
statement: one patient in `patient_id`, several in the detail's `patient_ids`, where "who
saw this patient" (`AuditEvent.names`) finds them as it finds `patient_id`; `ketacare audit
verify` still finds the chain intact."""

from __future__ import annotations

import io
import uuid

from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.staff import staff_for
from ketacare.audit import chain
from ketacare.audit.log import audit_key, record, record_reads
from ketacare.audit.models import PATIENT_IDS, Action, AuditEvent


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


def test_a_response_naming_many_patients_is_one_entry_listing_them(audit, admin_a, clinic_a):
    staff = staff_for(admin_a, clinic_a)
    record(Action.SIGN_IN, user=admin_a)
    patients = sorted(str(uuid.uuid4()) for _ in range(120))
    rows = [(p, f"obs-{i}") for i, p in enumerate(patients)] + [(patients[0], "obs-x")]
    matched = [str(uuid.uuid4())]  # named by the search, matching, not on the page
    with CaptureQueriesContext(connection) as ctx:
        record_reads(staff, Action.SEARCH, None, "fhir:Observation", rows, {"via": "fhir"},
                     matched=matched)
    assert _writes(ctx) == 1
    (entry,) = AuditEvent.objects.filter(action="search")
    assert entry.patient_id is None and entry.clinic_id == clinic_a.pk
    assert entry.detail == {"via": "fhir", PATIENT_IDS: sorted(patients + matched)}
    assert entry.object_id == ",".join(f"obs-{i}" for i in range(120))[:64]
    assert chain.verify(stored_chain(), audit_key()) == (2, None)
    # "Who saw this patient" finds it for any patient it lists, returned or matched.
    for patient in (patients[0], patients[57], matched[0]):
        assert list(AuditEvent.objects.filter(AuditEvent.names([patient]))) == [entry]
    assert not AuditEvent.objects.filter(AuditEvent.names([uuid.uuid4()])).exists()
    record(Action.SIGN_OUT, user=admin_a)  # the lane goes on from it
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue() == "OK: 3 entries, chain intact\n"


def test_a_response_naming_one_patient_names_them_in_the_patient_column(audit, admin_a,
                                                                        clinic_a):
    staff = staff_for(admin_a, clinic_a)
    patient = uuid.uuid4()
    record_reads(staff, Action.SEARCH, None, "fhir:Observation",
                 [(patient, "obs-1"), (str(patient), "obs-2")], {"via": "fhir"})
    (entry,) = AuditEvent.objects.all()
    assert entry.patient_id == patient and PATIENT_IDS not in entry.detail
    assert entry.object_id == "obs-1,obs-2"
    assert list(AuditEvent.objects.filter(AuditEvent.names([patient]))) == [entry]


def test_a_response_without_patients_is_one_entry(audit, admin_a, clinic_a):
    staff = staff_for(admin_a, clinic_a)
    record_reads(staff, Action.SEARCH, None, "ledgerentry", [(None, ""), (None, "")],
                 {"count": 2})
    (entry,) = AuditEvent.objects.all()
    assert entry.patient_id is None and entry.object_id == "" and entry.clinic_id == clinic_a.pk


def test_who_saw_a_patient_is_answered_from_an_index_on_postgresql(audit, admin_a, clinic_a):
    """The entries listing a patient are found through migration 0007's partial GIN index
    (the query must ask for what the index's condition says), not by reading the trail."""
    staff = staff_for(admin_a, clinic_a)
    patients = [uuid.uuid4() for _ in range(3)]
    entry = record_reads(staff, Action.SEARCH, None, "patient", [(p, "") for p in patients],
                         {"via": "api"})
    record_reads(staff, Action.SEARCH, None, "patient", [(uuid.uuid4(), "")] * 2, {})
    found = AuditEvent.objects.filter(clinic_id=clinic_a.pk).filter(
        AuditEvent.names([patients[1]]))
    assert list(found) == [entry]
    if connection.vendor != "postgresql":
        return  # SQLite reads the list's text: no index to use
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = AuditEvent.objects.filter(AuditEvent.names([patients[1]])).explain()
    assert "audit_listed_patients" in plan, plan
