"""The patient's own progress after submitting, the clinician's trajectory chart, and the
demo histories."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ketacare.selfreport import actions
from ketacare.selfreport.models import Response

from .conftest import answers, make_request

pytestmark = pytest.mark.django_db


def _submit(client, patient, values: list[int]) -> str:  # type: ignore[no-untyped-def]
    _, token = make_request(patient)
    response = client.post(f"/r/{token}/submit", answers(values))
    assert response.status_code == 200
    return response.content.decode()


def test_second_response_shows_the_patients_own_chart(client, reachable) -> None:
    first = _submit(client, reachable, [2] * 8 + [0])
    assert "Your scores so far" not in first  # one point is not a history
    second = _submit(client, reachable, [1] * 8 + [0])
    assert "Your scores so far" in second and "<svg" in second
    assert "Moderately severe" in second  # plain-language band titles, no ranges
    assert "Moderately severe 15-19" not in second


def test_clinic_can_switch_the_progress_chart_off(client, reachable, clinic_a) -> None:
    clinic_a.settings = {"selfreport_show_progress": False}
    clinic_a.save()
    _submit(client, reachable, [2] * 8 + [0])
    assert "Your scores so far" not in _submit(client, reachable, [1] * 8 + [0])


def test_clinician_page_draws_a_trajectory(client, prescriber_a, reachable) -> None:
    for values in ([3] * 8 + [0], [2] * 8 + [0], [1] * 8 + [0]):
        req, _ = make_request(reachable)
        actions.submit(req, answers(values))
    client.force_login(prescriber_a)
    body = client.get(f"/selfreport/patient/{reachable.pk}/").content.decode()
    assert "PHQ-9 over time" in body and "<svg" in body


def test_demo_gives_patients_histories_once(demo) -> None:
    first = Response.objects.count()
    assert first > 100
    per_patient = Response.objects.values("patient").distinct().count()
    assert per_patient >= 20
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Response.objects.count() == first
