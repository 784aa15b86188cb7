"""The session-day page's SQL statements do not grow with what it shows (issue 17 item 2):
the same count for a session with one entry of each kind as for one with many, recorded by
several members of staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.treatment import actions
from ketacare.treatment.models import AdverseEvent, Rating, VitalSigns
from tests.conftest import cosigned, make_staff

from .conftest import LOT, next_monday, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosed(nurse, prescriber, prescriber_a, ready_patient, clinic_a, stock):
    """An IV session checked in, dosed, with one set of vitals, one rating and one event."""
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    s = course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=128, dbp=82, hr=72, spo2=98, rr=14)
    actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                      expiry=stock["expiry"],
                      second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    s.refresh_from_db()
    actions.record_vitals(nurse, s, sbp=150, dbp=88, hr=80, spo2=97, rr=14)
    actions.record_rating(nurse, s, "cadss6", [2, 1, 0, 1, 0, 0])
    actions.record_adverse_event(nurse, s, term="nausea", severity="mild", serious=False,
                                 action="ondansetron 4 mg", outcome="resolved")
    s.refresh_from_db()
    return s


def _more_entries(session, clinic, n: int) -> None:
    """n more vitals, ratings and events, each by another nurse (as on a long shift)."""
    start = session.dose.started_at
    for i in range(n):
        nurse = make_staff(f"nurse{i}", clinic, "nurse")
        at = start + timedelta(minutes=5 * (i + 1))
        VitalSigns.objects.create(session=session, phase="monitoring", taken_at=at,
                                  minute=5 * (i + 1), sbp=130, dbp=80, hr=70, spo2=98, rr=14,
                                  recorded_by=nurse)
        Rating.objects.create(session=session, kind="moaas", values=[5], total=5, taken_at=at,
                              minute=5 * (i + 1), recorded_by=nurse)
        AdverseEvent.objects.create(session=session, term=f"dizziness {i}", severity="mild",
                                    recorded_at=at, recorded_by=nurse)


def _queries(client, session) -> int:
    client.get(f"/treatment/sessions/{session.pk}/")  # warm: first-use caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/treatment/sessions/{session.pk}/").status_code == 200
    return len(queries)


def test_session_day_queries_do_not_grow_with_the_entries(client, nurse_a, dosed,
                                                          clinic_a) -> None:
    client.force_login(nurse_a)
    few = _queries(client, dosed)
    _more_entries(dosed, clinic_a, 6)
    assert _queries(client, dosed) == few


def test_session_day_fetches_the_people_it_names_with_their_records(client, nurse_a,
                                                                     dosed) -> None:
    """Who checked in, gave, double-checked and recorded: joined, not one fetch each."""
    client.force_login(nurse_a)
    client.get(f"/treatment/sessions/{dosed.pk}/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/treatment/sessions/{dosed.pk}/")
    user_fetches = [q["sql"] for q in queries.captured_queries
                    if q["sql"].startswith('SELECT "auth_user"')]
    assert len(user_fetches) <= 1, user_fetches  # the signed-in user, by the middleware
