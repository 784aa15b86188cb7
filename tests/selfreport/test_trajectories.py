"""The score trajectory drawn on the chart's summary tab and the self-report page: points,
sessions with their dose, alerts ringed in red, times in the clinic's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.charts.trajectory import AlertMark, trajectory_chart
from ketacare.clinical.instruments import get
from ketacare.selfreport import actions
from ketacare.selfreport.models import Response
from ketacare.selfreport.trajectories import patient_trajectories
from ketacare.treatment.models import Dose
from tests.treatment.conftest import screen

from .conftest import answers, make_request, start_course

pytestmark = pytest.mark.django_db


def _submit(patient, values: list[int], when: datetime) -> Response:  # type: ignore[no-untyped-def]
    req, _ = make_request(patient)
    response = actions.submit(req, answers(values))
    Response.objects.filter(pk=response.pk).update(submitted_at=when)
    response.refresh_from_db()
    return response


@pytest.fixture
def history(reachable, staff_a, prescriber_a):  # type: ignore[no-untyped-def]
    """Baseline 18, a dose of 40 mg, then 16 with item 9 answered (an alert), then 7."""
    t0 = timezone.now() - timedelta(days=10)
    screen(staff_a, reachable, "iv")
    course = start_course(staff_a, reachable)
    session = course.sessions.get(number=1)
    Dose.objects.create(session=session, drug="racemic_ketamine", route="iv", dose_mg=40,
                        prescribed_mg=40, weight_kg=80, lot="L", expiry=timezone.now(),
                        started_at=t0, given_by=prescriber_a)
    _submit(reachable, [3, 3, 2, 2, 2, 2, 2, 2, 0], t0 - timedelta(days=1))
    _submit(reachable, [2, 2, 2, 2, 2, 2, 2, 1, 1], t0 + timedelta(days=3))
    _submit(reachable, [1, 1, 1, 1, 1, 1, 1, 0, 0], t0 + timedelta(days=8))
    return reachable


def test_trajectory_holds_points_sessions_and_alerts(history) -> None:
    (phq9,) = patient_trajectories(history)
    assert [total for _, total in phq9.points] == [18, 16, 7]
    assert [label for _, label in phq9.sessions] == ["S1 40 mg"]
    assert [(a.total, a.label) for a in phq9.alerts] == [(16, "Suicide item above 0 (PHQ-9 item 9, QIDS-SR16 item 12)")]
    svg = phq9.svg()
    assert svg.startswith("<svg") and "S1 40 mg" in svg and "#c0392b" in svg


def test_chart_summary_tab_shows_the_trajectory_to_clinicians(client, history, prescriber_a,
                                                                nurse_a) -> None:
    for user in (prescriber_a, nurse_a):
        client.force_login(user)
        body = client.get(f"/patients/{history.pk}/").content.decode()
        assert "PHQ-9 over time" in body and "<svg" in body
        assert "Red rings: responses that raised an alert" in body
        assert "Suicide item above 0" in body
    other_tab = client.get(f"/patients/{history.pk}/?tab=history").content.decode()
    assert "PHQ-9 over time" not in other_tab


def test_chart_without_scores_has_no_trajectory(client, patient_a, prescriber_a) -> None:
    client.force_login(prescriber_a)
    client.get(f"/patients/{patient_a.pk}/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/patients/{patient_a.pk}/").content.decode()
    assert "over time" not in body
    # With nothing to draw, neither the doses nor the alerts of the patient are read.
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert 'FROM "treatment_dose"' not in read
    assert 'FROM "selfreport_alert" WHERE ("selfreport_alert"."patient_id"' not in read
    assert 'FROM "selfreport_response"' in read


def test_times_are_drawn_as_the_clinics_wall_clock() -> None:
    # 03:00 UTC on 1 January is 22:00 on 31 December in New York.
    moment = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    chart = trajectory_chart(get("phq9"), [(moment, 12)], sessions=[(moment, "S1")],
                             alerts=[AlertMark(moment, 12, "x")],
                             zone=ZoneInfo("America/New_York"))
    spec = chart.to_dict()
    whens = {row["when"] for layer in spec["layer"] if "data" in layer
             for row in layer["data"].get("values", []) if "when" in row}
    whens |= {row["when"] for ds in spec.get("datasets", {}).values() for row in ds
              if "when" in row}
    assert whens == {"2025-12-31T22:00:00+00:00"}
