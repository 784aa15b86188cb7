"""What one audited API read costs in queries, pinned: the token with its user, clinic and
roles; the patient; the audit entry. The read-audit middleware learns from
`audit.log.record` which patients the request's committed entries name (in memory), so it
adds no query of its own."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ketacare.audit.log import collecting_named, record
from ketacare.audit.models import Action, AuditEvent
from ketacare.interop.auth import create_token

pytestmark = pytest.mark.django_db

# PostgreSQL: the token (with its user, clinic and roles), the patient, and one call of the
# append function (lane lock, head check and insert: migration audit 0005; the connection's
# previous entry is still its lane's head). In production that is also the whole
# transaction of the entry. Before: 8 (token, roles, patient, lock, head, insert and the
# savepoint pair of the test's transaction, BEGIN/COMMIT in production), and 10 before that.
# SQLite: the token, the patient, and the savepoint, lane head, insert and release.
SINGLE_READ_QUERIES = {"postgresql": 3, "sqlite": 6}


def test_api_single_patient_read_query_count(client, clinic_a, prescriber_a, patient_a) -> None:
    token = create_token(prescriber_a, clinic_a, "t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get(f"/api/v1/patients/{patient_a.pk}", **headers)  # token's last_used_at set
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/patients/{patient_a.pk}", **headers)
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == SINGLE_READ_QUERIES[connection.vendor], "\n".join(sql)
    if connection.vendor == "postgresql":
        assert sql[-1].startswith("SELECT * FROM ketacare_audit_append(")
    else:
        assert sum("audit_auditevent" in s for s in sql) == 2  # last hash of the lane, insert
    assert list(AuditEvent.objects.filter(id__gt=before).values_list(
        "action", "patient_id")) == [(Action.VIEW, patient_a.pk)]


def test_a_rolled_back_entry_does_not_count_as_audited(clinic_a, patient_a) -> None:
    """The middleware must still write the read entry when the action that audited the
    patient rolled back: its entry was never written."""
    with collecting_named() as named:
        with pytest.raises(RuntimeError), transaction.atomic():
            record(Action.UPDATE, clinic_id=clinic_a.pk, patient_id=patient_a.pk)
            raise RuntimeError("the action fails after auditing")
        assert named.patients() == set()
        record(Action.VIEW, clinic_id=clinic_a.pk, patient_id=patient_a.pk)
        assert named.patients() == {patient_a.pk}
    assert named.patients() == {patient_a.pk}
