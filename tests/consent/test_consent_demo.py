"""`ketacare demo`: every treated patient of the demo clinic has a current signed consent,
one patient has an open intake link, the consents verify, and a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ketacare.consent import actions
from ketacare.consent.check import all_consents, verify
from ketacare.consent.models import Consent, PatientLink
from ketacare.treatment.models import Course

pytestmark = pytest.mark.django_db


def test_demo_treated_patients_have_consents_and_one_intake_link(monkeypatch) -> None:
    monkeypatch.setenv("KETACARE_DEMO_PASSWORD", "demo-pass-for-tests")
    out = io.StringIO()
    call_command("demo", stdout=out)
    courses = list(Course.objects.filter(patient__clinic__name="Demo Clinic"))
    assert courses
    for course in courses:
        assert actions.status_for(course.patient, course.protocol().route).ok
    assert "Intake link for" in out.getvalue() and "/p/" in out.getvalue()
    assert PatientLink.objects.filter(purpose="intake", submitted_at__isnull=True).count() == 1
    count = Consent.objects.count()
    assert verify(all_consents()) == (count, [])
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert Consent.objects.count() == count
    assert "Consents signed now: 0" in again.getvalue()
    assert PatientLink.objects.filter(purpose="intake").count() == 1
