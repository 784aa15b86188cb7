"""Eight people press "Record dose", "Stop infusion", "Discharge" or "Sign" on one session at the same
moment: the session row lock gives exactly one result, the other seven a page that says
who was first (409), never a server error. On PostgreSQL the requests really race in
eight threads; SQLite has no row locks (it serialises writers), so there they run one
after the other and must end the same way."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from ketacare.ledger.models import Kind, LedgerEntry
from ketacare.treatment import actions
from ketacare.treatment.models import Dose, Session, VitalSigns
from tests.conftest import PASSWORD

from .conftest import LOT, iv_ready_to_dose

pytestmark = pytest.mark.django_db(transaction=True)
N = 8


def _race(user, url: str, data: dict[str, str]) -> Counter[int]:  # type: ignore[no-untyped-def]
    def post() -> int:
        client = Client()
        client.force_login(user)
        return client.post(url, data).status_code

    if connection.vendor != "postgresql":
        return Counter(post() for _ in range(N))
    start = threading.Barrier(N)
    codes: list[int] = []

    def run(work: Callable[[], int]) -> None:
        try:
            start.wait()
            codes.append(work())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(post,)) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(codes)


def test_eight_concurrent_dose_stop_discharge_and_sign_requests(nurse, prescriber, nurse_a,
                                                           prescriber_a, ready_patient,
                                                           clinic_a, stock) -> None:
    s = iv_ready_to_dose(prescriber, nurse, ready_patient, clinic_a)
    url = f"/treatment/sessions/{s.pk}/step/"

    dose = _race(nurse_a, url + "dose/", {
        "mg_per_kg": "0.5", "source": f"{stock['vial'].pk}|{LOT}", "confirm": "on",
        "second_check_username": prescriber_a.username, "second_check_password": PASSWORD})
    assert dose == Counter({302: 1, 409: N - 1}), dose
    assert Dose.objects.filter(session=s).count() == 1
    assert LedgerEntry.objects.filter(kind=Kind.ADMINISTER, session_ref=s.pk).count() == 1

    stopped = _race(nurse_a, url + "stop/", {"confirm": "on"})
    assert stopped == Counter({302: 1, 409: N - 1}), stopped
    d = Dose.objects.get(session=s)
    assert d.stopped_at is not None
    Dose.objects.filter(pk=d.pk).update(started_at=d.started_at - timedelta(minutes=90),
                                        stopped_at=d.stopped_at - timedelta(minutes=45))
    s = Session.objects.get(pk=s.pk)
    actions.record_vitals(nurse, s, sbp=134, dbp=84, hr=76, spo2=98, rr=14)
    VitalSigns.objects.filter(session=s, phase="monitoring").update(minute=40)
    actions.record_vitals(nurse, s, sbp=126, dbp=80, hr=72, spo2=98, rr=14)
    actions.record_rating(nurse, s, "cadss6", [0] * 6)
    actions.record_rating(nurse, s, "moaas", [5])

    discharged = _race(nurse_a, url + "discharge/", {
        "dissociation_resolved": "on", "escort_present": "on", "confirm": "on"})
    assert discharged == Counter({302: 1, 409: N - 1}), discharged

    signed = _race(prescriber_a, url + "sign/", {"confirm": "on"})
    assert signed == Counter({302: 1, 409: N - 1}), signed
    s = Session.objects.get(pk=s.pk)
    assert s.signed_by == prescriber_a and s.status == "signed"
