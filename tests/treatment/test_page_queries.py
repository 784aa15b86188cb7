"""The session-day page's SQL statements do not grow with what it shows (issue 17 item 2):
the same count for a session with one entry of each kind as for one with many, recorded by
several members of staff. The count itself is pinned, each table read once (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.treatment import actions
from ketacare.treatment.models import AdverseEvent, Rating, VitalSigns
from ketacare.web.templatetags.ketacare import person
from tests.conftest import cosigned, make_staff

from .conftest import LOT, iv_ready_to_dose, next_monday, protocol

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


def _statements(client, session) -> list[str]:
    client.get(f"/treatment/sessions/{session.pk}/")  # warm: first-use caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/treatment/sessions/{session.pk}/").status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _queries(client, session) -> int:
    return len(_statements(client, session))


def test_session_day_queries_do_not_grow_with_the_entries(client, nurse_a, dosed,
                                                          clinic_a) -> None:
    client.force_login(nurse_a)
    few = _queries(client, dosed)
    _more_entries(dosed, clinic_a, 6)
    assert _queries(client, dosed) == few


def test_session_day_reads_the_people_it_names_in_one_query(client, nurse_a, dosed,
                                                             clinic_a) -> None:
    """Who checked in, gave, double-checked and recorded: one read of the people for the
    whole page, not a fetch each, and not the user table joined to the session and to each
    list (issue 17: Django took longer to build those joins than to read the lists). The
    other user read is the signed-in user's, by the middleware."""
    client.force_login(nurse_a)
    _more_entries(dosed, clinic_a, 3)
    sql = _statements(client, dosed)
    user_reads = [s for s in sql if s.startswith('SELECT "auth_user"')]
    assert len(user_reads) == 2, user_reads
    assert [s for s in sql if 'JOIN "auth_user"' in s] == []
    page = client.get(f"/treatment/sessions/{dosed.pk}/").content.decode()
    for i in range(3):  # each rating names its nurse
        assert f"by Nurse{i} Tester</li>" in page
    given, second = dosed.dose.given_by, dosed.dose.second_check_by
    assert f"<dd>{person(given)} · second check {person(second)}</dd>" in page


# A nurse's request: 5 statements of the middleware (session, user, memberships with
# their roles, two device reads) and 1 of the menu (open self-report alerts); the page:
# the session (with its course, patient and dose), the audit entry (one call of the
# append function on PostgreSQL; savepoint, lane head, insert and release on SQLite), the
# vitals, ratings, events, amendments and alerts, each read once for the steps and the
# discharge checklist, the people all of these name (one read), and the screening and
# medication list for the interaction warnings. Before the dose also the latest weight,
# the strengths on the shelf (IV preparation) and the lots on hand (two reads, for the
# dose form); a dosed session shows no dose form and reads no lots. Before (issue 17): 24
# and 24 on SQLite (vitals read twice, ratings three times, the lots for a form not
# shown, the weight twice). Still twice before the dose: the stock items (the strengths
# for the IV preparation, and the items with their balances for the lots).
SESSION_DAY_QUERIES = {"postgresql": {"dosed": 16, "ready": 20},
                       "sqlite": {"dosed": 19, "ready": 23}}
SESSION_TABLES = ("treatment_vitalsigns", "treatment_rating", "treatment_adverseevent",
                  "treatment_amendment", "treatment_clinicalalert", "patients_weight",
                  "patients_screening", "patients_medication", "ledger_ledgerentry")


def _pinned(client, session, stage: str) -> None:
    sql = _statements(client, session)
    assert len(sql) == SESSION_DAY_QUERIES[connection.vendor][stage], "\n".join(sql)
    for table in SESSION_TABLES:
        reads = [s for s in sql if s.startswith(f'SELECT "{table}".')]
        assert len(reads) <= 1, reads
    # The clinic comes with the signed-in member's membership; the session is read within
    # it and not joined to it again.
    clinic_reads = [s for s in sql if '"accounts_clinic"' in s]
    assert len(clinic_reads) == 1 and 'FROM "accounts_membership"' in clinic_reads[0], \
        clinic_reads


def test_session_day_reads_each_table_once_whatever_it_shows(client, nurse_a, dosed,
                                                            clinic_a) -> None:
    client.force_login(nurse_a)
    _pinned(client, dosed, "dosed")
    _more_entries(dosed, clinic_a, 6)
    _pinned(client, dosed, "dosed")


def test_session_day_before_the_dose_reads_each_table_once(client, nurse, prescriber,
                                                           nurse_a, ready_patient, clinic_a,
                                                           stock) -> None:
    session = iv_ready_to_dose(prescriber, nurse, ready_patient, clinic_a)
    client.force_login(nurse_a)
    _pinned(client, session, "ready")
    for minute in (1, 2, 3):
        VitalSigns.objects.create(session=session, phase="predose", minute=None,
                                  taken_at=session.checked_in_at + timedelta(minutes=minute),
                                  sbp=124, dbp=80, hr=70, spo2=98, rr=14, recorded_by=nurse_a)
    _pinned(client, session, "ready")


def test_session_day_reads_names_not_password_hashes(client, nurse_a, dosed, clinic_a) -> None:
    """The page names who checked in, gave, double-checked and recorded: it joined each of
    them with every column of the user table, password hashes included. Only the signed-in
    user's own row (read by the sign-in middleware) may carry one: the people the page names
    are read with the columns that name them."""
    client.force_login(nurse_a)
    _more_entries(dosed, clinic_a, 2)
    sql = _statements(client, dosed)
    hashes = [s for s in sql if '"password"' in s]
    assert len(hashes) == 1, "\n".join(hashes)
