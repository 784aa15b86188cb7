"""Issue #14 item 3: the baseline a self-report is compared with is the latest score at or
before the first dose of the course and no older than 30 days (clinical reference s.2);
without one there is no baseline and no rise alert."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from ketacare.selfreport import actions
from ketacare.selfreport.models import Alert, Response
from tests.treatment.conftest import screen

from .conftest import answers, give_first_dose, make_request, start_course

pytestmark = pytest.mark.django_db


def phq9(total: int) -> list[int]:
    values, left = [0] * 9, total
    for i in range(8):
        values[i] = min(3, left)
        left -= values[i]
    return values


def submit_at(patient, total: int, when: datetime) -> Response:  # type: ignore[no-untyped-def]
    req, _ = make_request(patient)
    response = actions.submit(req, answers(phq9(total)))
    Response.objects.filter(pk=response.pk).update(submitted_at=when)
    response.refresh_from_db()
    return response


@pytest.fixture
def dosed(reachable, staff_a, prescriber_a):  # type: ignore[no-untyped-def]
    """A course whose first dose started 5 days ago at a known instant."""
    first = timezone.now().replace(microsecond=0) - timedelta(days=5)
    return reachable, give_first_dose(staff_a, reachable, prescriber_a, first), first


def test_score_after_the_first_dose_on_the_same_day_is_not_the_baseline(dosed) -> None:
    patient, course, first = dosed
    submit_at(patient, 20, first - timedelta(days=2))
    submit_at(patient, 6, first + timedelta(hours=3))  # after the dose, same day
    found = actions.baseline_response(patient, "phq9", course)
    assert found is not None and found.total == 20


@pytest.mark.parametrize(("offset", "is_baseline"), [
    (timedelta(0), True), (timedelta(days=-30), True),
    (timedelta(days=-30, seconds=-1), False), (timedelta(seconds=1), False)])
def test_window_edges(dosed, offset: timedelta, is_baseline: bool) -> None:
    patient, course, first = dosed
    submit_at(patient, 15, first + offset)
    assert (actions.baseline_total(patient, "phq9", course) == 15) is is_baseline


def test_without_a_baseline_no_rise_alert(dosed) -> None:
    patient, course, first = dosed
    submit_at(patient, 4, first - timedelta(days=45))  # too old: not a baseline
    assert actions.baseline_total(patient, "phq9", course) is None
    req, _ = make_request(patient)
    actions.submit(req, answers(phq9(20)))  # +16 on the old score
    assert not Alert.objects.filter(kind="score_rise").exists()


def test_rise_alert_against_the_valid_baseline(dosed) -> None:
    patient, course, first = dosed
    submit_at(patient, 8, first - timedelta(days=1))
    req, _ = make_request(patient)  # a manual request: the patient's course is used
    actions.submit(req, answers(phq9(13)))
    alert = Alert.objects.get(kind="score_rise")
    assert "from baseline 8 to 13" in alert.message


def test_no_course_or_no_dose_means_no_baseline(reachable, staff_a) -> None:
    submit_at(reachable, 12, timezone.now() - timedelta(days=2))
    assert actions.baseline_response(reachable, "phq9", None) is None
    screen(staff_a, reachable, "iv")
    course = start_course(staff_a, reachable)  # planned, no dose yet
    assert actions.baseline_response(reachable, "phq9", course) is None
