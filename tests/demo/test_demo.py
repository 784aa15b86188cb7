"""`ketacare demo`: the clinics, staff and synthetic patients a fresh install shows."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from pytest import MonkeyPatch

from ketacare.accounts.models import Clinic, Membership
from ketacare.audit.models import AuditEvent
from ketacare.clinical import diagnoses
from ketacare.demo.planner import Planner
from ketacare.demo.profiles import DEMO, demo_profiles
from ketacare.patients.models import (
    Diagnosis,
    EligibilityDecision,
    Medication,
    Patient,
    PatientRevision,
    PriorTreatment,
    Screening,
    TreatmentKind,
    Weight,
)

PASSWORD = "demo-pass-for-tests"
EXPECTED_ROLES = {
    ("demo-admin", "Demo Clinic", "admin"),
    ("demo-prescriber", "Demo Clinic", "prescriber"),
    ("demo-nurse", "Demo Clinic", "nurse"),
    ("demo-analyst", "Demo Clinic", "analyst"),
    ("other-prescriber", "Other Clinic", "prescriber"),
}
COUNTED = (Clinic, Membership, Patient, PatientRevision, Diagnosis, Weight, PriorTreatment,
           Medication, Screening, EligibilityDecision, AuditEvent)


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED} | {
        "User": get_user_model().objects.count()}


def signs_in(client: Client, username: str, password: str) -> bool:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    signed_in = response.status_code == 302 and response["Location"] == "/"
    client.logout()
    return signed_in


@pytest.mark.django_db
def test_demo_builds_two_clinics_staff_and_patients_once(monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setenv("KETACARE_DEMO_PASSWORD", PASSWORD)
    output = run_demo()
    first = counts()
    names = {u.username: (u.first_name, u.last_name) for u in get_user_model().objects.all()}

    second_output = run_demo()

    assert counts() == first, "a second run must add nothing"
    assert {u.username: (u.first_name, u.last_name)
            for u in get_user_model().objects.all()} == names
    assert "60 patients, 60 added now" in output
    assert "60 patients, 0 added now" in second_output

    demo_clinic = Clinic.objects.get(name="Demo Clinic")
    other = Clinic.objects.get(name="Other Clinic")
    assert demo_clinic.time_zone == "America/New_York" and demo_clinic.address
    assert other.time_zone == "America/Los_Angeles"
    roles = set(Membership.objects.values_list("user__username", "clinic__name", "role"))
    assert roles == EXPECTED_ROLES
    for first_name, last_name in names.values():
        assert first_name and last_name

    patients = Patient.objects.filter(clinic=demo_clinic)
    assert 55 <= patients.count() <= 65
    assert all(re.fullmatch(r"DC-\d{6}", mrn) for mrn in patients.values_list("mrn", flat=True))
    # One primary diagnosis each, and the chart's condition filter has every condition.
    for patient in patients:
        primaries = Diagnosis.objects.filter(patient=patient, primary=True)
        assert primaries.count() == 1
        assert patient.primary_condition == primaries.get().condition
    assert set(patients.values_list("primary_condition", flat=True)) == {
        "depression", "ptsd", "anxiety"}
    assert Diagnosis.objects.filter(patient__clinic=demo_clinic, primary=False).exists()
    assert set(patients.values_list("status", flat=True)) == {
        "referred", "screening", "active", "maintenance", "discharged"}

    trd = [p for p in patients if diagnoses.treatment_resistant(PriorTreatment.objects.filter(
        patient=p, kind=TreatmentKind.ANTIDEPRESSANT, adequate=True).count())]
    assert 10 <= len(trd) < patients.count()
    kinds = set(PriorTreatment.objects.values_list("kind", flat=True))
    assert {"antidepressant", "psychotherapy", "tms", "ect"} <= kinds
    categories = set(Medication.objects.filter(patient__clinic=demo_clinic)
                     .values_list("category", flat=True))
    assert {"benzodiazepine", "psychostimulant", "maoi", "antidepressant"} <= categories

    for weight in Weight.objects.all():
        assert 45 <= weight.weight_kg <= 140
        assert 0 <= (date.today() - weight.measured_on).days <= 62
    assert not patients.filter(weight__isnull=True).exists()

    screenings = Screening.objects.filter(patient__clinic=demo_clinic)
    statuses = list(screenings.values_list("status", flat=True))
    assert statuses.count("eligible") > statuses.count("needs_review") > 0
    # The aneurysm is a contraindication on every route (issue 14 item 4).
    ineligible = screenings.filter(status="ineligible")
    assert sorted(ineligible.values_list("route", flat=True)) == ["esketamine_nasal", "iv"]
    for screening in ineligible:
        assert [r["code"] for r in screening.reasons] == ["aneurysmal_vascular_disease"]
    assert ineligible.get(route="esketamine_nasal").decisions.get().decision == "declined"
    # An esketamine patient with an enrolled REMS record, to walk the REMS journey.
    from ketacare.rems.models import RemsEnrollment
    from ketacare.treatment.models import Course

    esketamine = Course.objects.filter(patient__clinic=demo_clinic,
                                       protocol_data__route="esketamine_nasal")
    assert esketamine.exists()
    assert all(RemsEnrollment.objects.filter(patient=c.patient).exists() for c in esketamine)
    review_codes = {r["code"] for s in screenings.filter(status="needs_review") for r in s.reasons}
    assert {"psychosis", "uncontrolled_hypertension"} <= review_codes
    assert EligibilityDecision.objects.filter(screening__patient__clinic=demo_clinic).exists()
    assert screenings.filter(decisions__isnull=True).exists(), "some await a decision"
    assert not patients.filter(status="referred", screenings__isnull=False).exists()

    other_patients = Patient.objects.filter(clinic=other)
    assert 3 <= other_patients.count() <= 8
    assert all(mrn.startswith("OC-") for mrn in other_patients.values_list("mrn", flat=True))

    # Written through the actions: every patient's creation is in the audit trail, by the
    # demo staff of that patient's clinic.
    created = AuditEvent.objects.filter(action="create", object_type="patient")
    assert created.count() == Patient.objects.count()
    assert set(created.values_list("username", flat=True)) == {"demo-admin", "other-prescriber"}
    # Plus "patient-link": the demo's self-report histories are submitted as patients do.
    assert set(AuditEvent.objects.values_list("username", flat=True)) <= {
        "demo-admin", "demo-prescriber", "demo-nurse", "other-prescriber", "patient-link"}


@pytest.mark.django_db
def test_demo_password_comes_from_the_environment_and_is_reset_each_run(
        client: Client, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setenv("KETACARE_DEMO_PASSWORD", "first-demo-password")
    run_demo()
    monkeypatch.setenv("KETACARE_DEMO_PASSWORD", PASSWORD)
    output = run_demo()

    assert f"Password for all demo users: {PASSWORD}" in output
    for username, _, _ in EXPECTED_ROLES:
        assert username in output
    assert signs_in(client, "demo-prescriber", PASSWORD)
    assert signs_in(client, "other-prescriber", PASSWORD)
    assert not signs_in(client, "demo-nurse", "first-demo-password")


@pytest.mark.django_db
def test_without_the_environment_a_random_password_is_printed(
        client: Client, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.delenv("KETACARE_DEMO_PASSWORD", raising=False)
    output = run_demo()
    match = re.search(r"Password for all demo users: (\S+)", output)
    assert match is not None
    password = match.group(1)
    assert len(password) >= 12
    assert signs_in(client, "demo-nurse", password)
    assert get_user_model().objects.get(username="demo-admin").password.startswith("argon2")


def test_plans_are_the_same_people_every_time() -> None:
    day = date(2026, 3, 1)

    def plan() -> list[tuple[str, str, str, date]]:
        plans = Planner(DEMO, day).plan(demo_profiles())
        return [(p.mrn, p.demographics["given_name"], p.demographics["family_name"],
                 p.demographics["date_of_birth"]) for p in plans]

    first = plan()
    assert first == plan()
    assert len({mrn for mrn, *_ in first}) == len(first)


def test_the_demos_signed_sessions_show_every_scheduled_reading_taken(client, demo) -> None:
    """A signed session of the demo's history had a dose and no vitals, so its page showed
    every monitoring reading missed, in red, on a note that was signed and discharged; and
    its dissociation step was empty."""
    from ketacare.treatment.models import Session, SessionStatus

    sessions = Session.objects.filter(course__patient__clinic=demo["Demo Clinic"],
                                      status=SessionStatus.SIGNED)
    assert sessions.exists()
    client.force_login(get_user_model().objects.get(username="demo-nurse"))
    for session in sessions[:3]:
        page = client.get(f"/treatment/sessions/{session.pk}/").content.decode()
        due = re.search(r'<ul class="due">(.*?)</ul>', page)
        assert due is not None
        scheduled = session.course.protocol().vitals_minutes
        assert due.group(1).count('<li class="done">') == len(scheduled), due.group(1)
        assert "overdue" not in due.group(1)
        # No rating was recorded: a signed note says so instead of an empty step.
        ratings = re.search(r'id="ratings".*?</li>\s*<!--', page, re.S)
        assert ratings is not None and "None recorded." in ratings.group(0)
