"""record() appends entries that chain, and the hash survives the round trip through the
database (a value the database rewrites would later read as tampering)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from ketacare.accounts.staff import staff_for
from ketacare.audit import chain
from ketacare.audit.log import audit_key, record
from ketacare.audit.models import Action, AuditEvent


def stored_chain() -> list[chain.Entry]:
    return [(e.pk, e.lane, e.prev_hash, e.hash, e.chained_fields())
            for e in AuditEvent.objects.order_by("id")]


def test_record_chains_entries(audit, admin_a, patient_a):
    first = record(Action.SIGN_IN, user=admin_a)
    second = record(Action.VIEW, user=admin_a, patient_id=patient_a.pk, obj=patient_a)
    third = record(Action.SEARCH, username="someone", detail={"matches": 3})

    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert second.object_type == "patient" and second.object_id == str(patient_a.pk)
    assert chain.verify(stored_chain(), audit_key()) == (3, None)


def test_hash_survives_the_database_round_trip(audit, admin_a, clinic_a):
    request = RequestFactory().get("/", REMOTE_ADDR="2001:0DB8:0000:0000:0000:0000:0000:0001")
    patient_id = str(uuid.uuid4()).upper()
    event = record(
        Action.VIEW, request=request, user=admin_a, clinic_id=clinic_a.pk,
        patient_id=patient_id,  # type: ignore[arg-type]  # callers may pass text
        detail={"note": "Überprüfung ✓", "nested": {"b": [1, 2.5, None], "a": True}},
    )
    event.refresh_from_db()
    assert event.ip == "2001:db8::1"
    assert str(event.patient_id) == patient_id.lower()
    assert chain.entry_hash(event.prev_hash, event.chained_fields(), audit_key()) == event.hash
    assert chain.verify(stored_chain(), audit_key()) == (1, None)


def test_record_takes_who_and_where_from_the_request(audit, admin_a, clinic_a):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    request.user = admin_a
    request.staff = staff_for(admin_a, clinic_a)  # type: ignore[attr-defined]
    event = record(Action.SEARCH, request=request, object_type="patient")
    assert (event.user_id, event.username, event.role, event.clinic_id, event.ip) == (
        admin_a.pk, admin_a.username, "admin", clinic_a.pk, "203.0.113.7")


def test_an_address_that_is_not_one_is_dropped(audit):
    request = RequestFactory().get("/", REMOTE_ADDR="unknown, 10.0.0.1")
    request.user = AnonymousUser()
    event = record(Action.SIGN_IN_FAILED, request=request, username="x")
    assert event.ip is None
    event.refresh_from_db()
    assert chain.entry_hash(event.prev_hash, event.chained_fields(), audit_key()) == event.hash
