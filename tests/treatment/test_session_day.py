"""The session day through the actions: the safe path and every refusal on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketacare.ledger.actions import balance
from ketacare.treatment import actions
from ketacare.treatment.models import SessionStatus
from tests.conftest import cosigned

from .conftest import LOT, next_monday, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def iv_session(prescriber, ready_patient, clinic_a):
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    return course.sessions.first()


def _shift_dose(session, minutes: int) -> None:
    """Pretend the dose started `minutes` ago (the server sets times; tests move them)."""
    dose = session.dose
    dose.started_at -= timedelta(minutes=minutes)
    if dose.stopped_at:
        dose.stopped_at -= timedelta(minutes=minutes)
    dose.save()


def test_whole_iv_session(nurse, prescriber, nurse_a, prescriber_a, iv_session, stock) -> None:
    s = iv_session
    with pytest.raises(ValidationError, match="Check the patient in"):
        actions.record_vitals(nurse, s, sbp=120, dbp=80, hr=70, spo2=98, rr=14)
    with pytest.raises(ValidationError) as err:
        actions.check_in(nurse, s, escort_present=False, no_driving_ack=True, npo_confirmed=None)
    assert "escort" in str(err.value)
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=128, dbp=82, hr=72, spo2=98, rr=14)
    s.refresh_from_db()
    assert not s.hold
    with pytest.raises(ValidationError) as err:
        actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                          expiry=stock["expiry"], second_check_by=None)
    assert "second check" in str(err.value)
    before = balance(stock["vial"])
    dose = actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                             expiry=stock["expiry"],
                             second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    assert dose.second_check_by == prescriber_a
    assert float(dose.dose_mg) == 40.0 and float(dose.volume_ml) == 4.0
    assert balance(stock["vial"]) == before - 4  # posted to the ledger at once
    # Discharge is refused until observation, vitals and dissociation allow it.
    with pytest.raises(ValidationError, match="Not ready for discharge"):
        actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)
    v = actions.record_vitals(nurse, s, sbp=182, dbp=100, hr=88, spo2=97, rr=16)
    assert [a["code"] for a in v.alerts] == ["sbp_high"]
    actions.record_rating(nurse, s, "cadss6", [2, 1, 0, 1, 0, 0])
    actions.record_rating(nurse, s, "moaas", [4])
    actions.record_adverse_event(nurse, s, term="nausea", severity="mild", serious=False,
                                 action="ondansetron 4 mg", outcome="resolved")
    s.refresh_from_db()
    actions.stop_infusion(nurse, s)
    s.refresh_from_db()
    _shift_dose(s, 40)
    actions.record_vitals(nurse, s, sbp=150, dbp=88, hr=80, spo2=97, rr=14)  # the ~40-min BP
    s.refresh_from_db()
    _shift_dose(s, 35)
    actions.record_vitals(nurse, s, sbp=130, dbp=84, hr=76, spo2=98, rr=14)
    actions.record_rating(nurse, s, "cadss6", [0, 0, 0, 0, 0, 0])
    with pytest.raises(ValidationError, match="MOAA/S 4 < 5"):
        actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)
    actions.record_rating(nurse, s, "moaas", [5])
    s.refresh_from_db()
    actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)
    actions.sign(nurse, s)
    s.refresh_from_db()
    assert s.status == SessionStatus.SIGNED and s.locked
    with pytest.raises(ValidationError, match="signed and locked"):
        actions.record_vitals(nurse, s, sbp=120, dbp=80, hr=70, spo2=98, rr=14)
    amendment = actions.amend(nurse, s, "AE outcome: nausea resolved at 60 min.", "late entry")
    assert amendment.author == nurse_a


def test_predose_hold_needs_a_prescriber_override(nurse, prescriber, prescriber_a,
                                                  iv_session, stock) -> None:
    s = iv_session
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=141, dbp=85, hr=70, spo2=98, rr=14)
    s.refresh_from_db()
    assert s.hold and s.hold_reasons == ["SBP 141 > 140"]
    with pytest.raises(ValidationError, match="on hold"):
        actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                          expiry=stock["expiry"], second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    with pytest.raises(ValidationError, match="Only a prescriber overrides a hold"):
        actions.override_hold(nurse, s, "anxious, rechecked")
    with pytest.raises(ValidationError, match="reason"):
        actions.override_hold(prescriber, s, " ")
    actions.override_hold(prescriber, s, "White-coat pattern; home BP 125/80")
    s.refresh_from_db()
    assert s.hold_cleared
    actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                      expiry=stock["expiry"],
                      second_check_by=cosigned(nurse, prescriber_a, "second_check"))


def test_a_recheck_below_the_limit_lifts_the_hold(nurse, iv_session) -> None:
    s = iv_session
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=150, dbp=95, hr=70, spo2=98, rr=14)
    actions.record_vitals(nurse, s, sbp=138, dbp=88, hr=70, spo2=98, rr=14)
    s.refresh_from_db()
    assert not s.hold


def test_dose_errors_leave_nothing_behind(nurse, prescriber_a, iv_session, stock) -> None:
    s = iv_session
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=120, dbp=80, hr=70, spo2=98, rr=14)
    before = balance(stock["vial"])
    with pytest.raises(ValidationError, match="mg_per_kg"):
        actions.give_dose(nurse, s, mg_per_kg=2.0, stock_item=stock["vial"], lot=LOT,
                          expiry=stock["expiry"], second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    with pytest.raises(ValidationError, match="spray|esketamine|Esketamine"):
        actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["spray"], lot=LOT,
                          expiry=stock["expiry"], second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    # An expired lot: tests/treatment/test_session_safety.py (the ledger's expiry counts).
    with pytest.raises(ValidationError, match="not on hand"):
        actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot="NOT-HELD",
                          expiry=stock["expiry"],
                          second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    s.refresh_from_db()
    assert not hasattr(s, "dose") and balance(stock["vial"]) == before


def test_stale_weight_refuses_the_dose(nurse, prescriber_a, iv_session, stock) -> None:
    from ketacare.patients.models import Weight

    Weight.objects.filter(patient=iv_session.course.patient).update(
        measured_on=timezone.localdate() - timedelta(days=45))
    s = iv_session
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=120, dbp=80, hr=70, spo2=98, rr=14)
    with pytest.raises(ValidationError, match="weight"):
        actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                          expiry=stock["expiry"], second_check_by=cosigned(nurse, prescriber_a, "second_check"))


def test_esketamine_session_needs_npo_and_120_minutes(nurse, prescriber, ready_patient,
                                                       clinic_a, stock) -> None:
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "esketamine"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 3}))
    s = course.sessions.first()
    with pytest.raises(ValidationError, match="no food"):
        actions.check_in(nurse, s, escort_present=True, no_driving_ack=True,
                         npo_confirmed=False)
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=True)
    actions.record_vitals(nurse, s, sbp=124, dbp=78, hr=70, spo2=98, rr=14)
    dose = actions.give_dose(nurse, s, fixed_mg=56, stock_item=stock["spray"], lot="ES-77",
                             expiry=stock["expiry"])
    assert dose.devices == 2 and dose.volume_ml is None
    assert balance(stock["spray"]) == 10
    s.refresh_from_db()
    _shift_dose(s, 40)
    actions.record_vitals(nurse, s, sbp=136, dbp=84, hr=74, spo2=98, rr=14)
    s.refresh_from_db()
    _shift_dose(s, 60)
    actions.record_vitals(nurse, s, sbp=126, dbp=80, hr=72, spo2=98, rr=14)
    actions.record_rating(nurse, s, "cadss6", [0, 0, 0, 0, 0, 0])
    actions.record_rating(nurse, s, "moaas", [5])
    with pytest.raises(ValidationError, match="120 min"):
        actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)
    s.refresh_from_db()
    _shift_dose(s, 25)
    s.refresh_from_db()
    actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)


def test_a_discharge_without_recorded_observation_minutes_reads_as_a_sentence(client,
                                                                              demo) -> None:
    """The demo's signed sessions carry a discharge time but no discharge record (they are
    inserted, not walked through the discharge step): the page said "after  min of
    observation". Without the minutes it says when and by whom, and nothing more."""
    from django.contrib.auth import get_user_model

    from ketacare.treatment.models import Session

    session = Session.objects.filter(course__patient__clinic=demo["Demo Clinic"],
                                     discharged_at__isnull=False, discharge={}).first()
    assert session is not None
    client.force_login(get_user_model().objects.get(username="demo-nurse"))
    body = client.get(f"/treatment/sessions/{session.pk}/").content.decode()
    assert "Discharged " in body and " min of observation" not in body
