"""Issue 14 item 8: the end-of-induction decision (action, page, audit), the esketamine
label per clinic, and the EU SmPC protocol's dose by age through the session day."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketacare.audit.models import AuditEvent
from ketacare.clinical import protocols
from ketacare.treatment import actions
from ketacare.treatment.induction_review import record_induction_review, state
from ketacare.treatment.label_variant import set_esketamine_label
from ketacare.treatment.models import ClinicProtocol, SessionStatus

from .conftest import next_monday, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, ready_patient, clinic_a):
    return actions.start_course(prescriber, ready_patient, protocol(clinic_a, "esketamine"),
                                indication="TRD", start_date=next_monday(),
                                weekdays=frozenset({0, 3}))


def close_induction(course) -> None:
    # The session-day actions stamp the present; 4 weeks of doses are not run here.
    course.sessions.filter(number__lte=8).update(status=SessionStatus.MISSED)


def maintenance_checkin(nurse, course):
    session = course.sessions.get(number=9)
    assert session.phase.startswith("Maintenance")
    actions.check_in(nurse, session, escort_present=True, no_driving_ack=True,
                     npo_confirmed=True)
    return session


def test_maintenance_waits_for_the_decision(nurse, prescriber, course) -> None:
    first = course.sessions.get(number=1)
    actions.check_in(nurse, first, escort_present=True, no_driving_ack=True,
                     npo_confirmed=True)  # induction is not gated
    with pytest.raises(ValidationError, match="End of induction: a prescriber must record"):
        maintenance_checkin(nurse, course)
    close_induction(course)
    record_induction_review(prescriber, course, "continue", "PHQ-9 24 -> 11 by week 4")
    course.refresh_from_db()
    assert maintenance_checkin(nurse, course).status == SessionStatus.IN_PROGRESS
    assert course.induction_review_by == prescriber.user
    event = AuditEvent.objects.filter(detail__induction_review="continue").get()
    assert event.patient_id == course.patient_id


def test_decision_only_at_the_end_of_induction(prescriber, course) -> None:
    with pytest.raises(ValidationError, match="Induction is not over"):
        record_induction_review(prescriber, course, "continue", "looks good")
    assert state(course).applies and not state(course).ready


def test_stop_ends_the_course_and_cancels_maintenance(nurse, prescriber, course) -> None:
    close_induction(course)
    record_induction_review(prescriber, course, "stop", "No change in MADRS after 8 doses")
    course.refresh_from_db()
    assert course.status == "stopped"
    later = course.sessions.filter(number__gt=8)
    assert later.exists() and not later.exclude(status=SessionStatus.CANCELLED).exists()
    with pytest.raises(ValidationError, match="already recorded"):
        record_induction_review(prescriber, course, "continue", "changed my mind")


def test_decision_input_and_permission(nurse, prescriber, course, prescriber_b,
                                       clinic_b) -> None:
    from ketacare.accounts.staff import staff_for

    close_induction(course)
    with pytest.raises(PermissionDenied):
        record_induction_review(nurse, course, "continue", "x")
    with pytest.raises(ValidationError) as err:
        record_induction_review(prescriber, course, "maybe", " ")
    assert set(err.value.message_dict) == {"decision", "reason"}
    other = staff_for(prescriber_b, clinic_b)
    with pytest.raises(ValidationError, match="not in your active clinic"):
        record_induction_review(other, course, "continue", "x")


def test_iv_course_has_no_review(prescriber, ready_patient, clinic_a) -> None:
    iv = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                              indication="TRD", start_date=next_monday(),
                              weekdays=frozenset({0, 2, 4}))
    assert not state(iv).applies
    with pytest.raises(ValidationError, match="no end-of-induction review"):
        record_induction_review(prescriber, iv, "continue", "x")


@pytest.mark.parametrize(("persona", "status"), [
    ("prescriber_a", 302), ("nurse_a", 403), ("admin_a", 403), ("prescriber_b", 404)])
def test_review_page_access(client, request, course, persona, status) -> None:
    close_induction(course)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(f"/treatment/courses/{course.pk}/induction-review/",
                           {"decision": "continue", "reason": "PHQ-9 halved"})
    assert response.status_code == status


def test_course_page_shows_the_panel_and_the_form(client, prescriber_a, course) -> None:
    client.force_login(prescriber_a)
    page = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert 'data-testid="induction-review"' in page and "Recorded once no induction" in page
    close_induction(course)
    page = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert f'action="/treatment/courses/{course.pk}/induction-review/"' in page
    bad = client.post(f"/treatment/courses/{course.pk}/induction-review/",
                      {"decision": "continue", "reason": ""})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    client.post(f"/treatment/courses/{course.pk}/induction-review/",
                {"decision": "continue", "reason": "PHQ-9 halved"})
    page = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert "Benefit seen: continue into maintenance" in page and "PHQ-9 halved" in page


# --- the label per clinic --------------------------------------------------------------


def test_clinic_uses_the_us_label_until_an_admin_chooses_the_eu_smpc(
        client, admin_a, clinic_a, prescriber, nurse) -> None:
    from ketacare.accounts.staff import staff_for

    actions.ensure_default_protocols(clinic_a)
    active = dict(ClinicProtocol.objects.filter(clinic=clinic_a).values_list("key", "active"))
    assert active["esketamine"] and not active["esketamine-eu"] and active["esketamine-si"]
    with pytest.raises(PermissionDenied):
        set_esketamine_label(prescriber, "eu")
    admin = staff_for(admin_a, clinic_a)
    with pytest.raises(ValidationError):
        set_esketamine_label(admin, "uk")
    client.force_login(admin_a)
    assert "US prescribing information" in client.get("/treatment/protocols/").content.decode()
    assert client.post("/treatment/protocols/esketamine-label/",
                       {"variant": "eu"}).status_code == 302
    clinic_a.refresh_from_db()
    assert clinic_a.settings["esketamine_label"] == "eu"
    active = dict(ClinicProtocol.objects.filter(clinic=clinic_a).values_list("key", "active"))
    assert active["esketamine-eu"] and not active["esketamine"]
    assert AuditEvent.objects.filter(detail__esketamine_label="eu").exists()


def test_eu_protocol_gives_28_mg_on_day_1_from_65(prescriber, nurse, ready_patient,
                                                  clinic_a, stock, admin_a) -> None:
    from ketacare.accounts.staff import staff_for

    eu = protocol(clinic_a, "esketamine-eu")
    with pytest.raises(ValidationError, match="not in use in your clinic"):
        actions.start_course(prescriber, ready_patient, eu, indication="TRD",
                             start_date=next_monday(), weekdays=frozenset({0, 3}))
    set_esketamine_label(staff_for(admin_a, clinic_a), "eu")
    ready_patient.date_of_birth = ready_patient.date_of_birth.replace(
        year=clinic_a.today().year - 70)
    ready_patient.save(update_fields=["date_of_birth"])
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "esketamine-eu"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 3}))
    s = course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=True)
    actions.record_vitals(nurse, s, sbp=130, dbp=80, hr=70, spo2=98, rr=14)
    dose = actions.give_dose(nurse, s, stock_item=stock["spray"], lot="ES-77",
                             expiry=stock["expiry"])
    assert (float(dose.dose_mg), dose.devices) == (28.0, 1)


def test_choosing_the_label_in_a_fresh_clinic_audits_each_protocol_it_copies(
        admin_a, clinic_a) -> None:
    """The label action copies the shipped protocols a clinic lacks (to switch their
    active flags): each copy is written by the action and audited, like a first course's."""
    from ketacare.accounts.staff import staff_for

    set_esketamine_label(staff_for(admin_a, clinic_a), "eu")
    keys = set(ClinicProtocol.objects.filter(clinic=clinic_a).values_list("key", flat=True))
    assert keys == set(protocols.DEFAULT_PROTOCOLS)
    audited = AuditEvent.objects.filter(object_type="clinicprotocol")
    assert audited.count() == len(keys)
    assert {e.detail["copied_for"] for e in audited} == {"esketamine label"}
