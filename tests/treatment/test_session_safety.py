"""Issue 13 through the actions: co-signatures that are checked, override authority,
alerts that reach the prescriber, and steps that happen once."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import cosign
from ketacare.audit.models import AuditEvent
from ketacare.ledger.actions import balance
from ketacare.treatment import actions
from ketacare.treatment.models import ClinicalAlert, Dose
from tests.conftest import PASSWORD, cosigned

from .conftest import LOT, iv_ready_to_dose

pytestmark = pytest.mark.django_db


@pytest.fixture
def iv(prescriber, ready_patient, clinic_a, nurse):
    return iv_ready_to_dose(prescriber, nurse, ready_patient, clinic_a)


def _dose(staff, s, stock, checker, **kw):  # type: ignore[no-untyped-def]
    return actions.give_dose(staff, s, stock_item=stock["vial"], lot=LOT,
                             expiry=stock["expiry"],
                             second_check_by=cosigned(staff, checker, "second_check"), **kw)


def test_a_nurse_cannot_approve_a_dose_above_the_usual_range(nurse, nurse_a, prescriber_a, iv,
                                                             stock, clinic_a) -> None:
    from tests.conftest import make_staff

    other_nurse = make_staff("nina", clinic_a, "nurse")
    before = balance(stock["vial"])
    # Her own reason is not a prescriber's override.
    with pytest.raises(ValidationError, match="needs a prescriber"):
        _dose(nurse, iv, stock, prescriber_a, mg_per_kg=0.6, override_reason="she asked")
    # Nor is a colleague nurse's co-signature: refused before it is made.
    with pytest.raises(cosign.CosignError, match="cannot sign as prescriber override"):
        cosigned(nurse, other_nurse, "dose_override")
    # A second-check co-signature is not an override either.
    with pytest.raises(ValidationError, match="another step"):
        _dose(nurse, iv, stock, prescriber_a, mg_per_kg=0.6, override_reason="x",
              override_by=cosigned(nurse, prescriber_a, "second_check"))
    iv.refresh_from_db()
    assert not hasattr(iv, "dose") and balance(stock["vial"]) == before
    dose = _dose(nurse, iv, stock, other_nurse, mg_per_kg=0.6,
                 override_reason="Partial response at 0.5 mg/kg",
                 override_by=cosigned(nurse, prescriber_a, "dose_override"))
    assert dose.override_by == prescriber_a and dose.given_by == nurse_a
    assert dose.second_check_by == other_nurse
    people = list(AuditEvent.objects.filter(object_type="dose", object_id=str(dose.pk))
                  .values_list("username", "role", "detail__cosign"))
    assert people == [("noah", "nurse", None), ("nina", "co-signer", "second_check"),
                      ("priya", "co-signer", "dose_override")]


def test_absolute_limits_are_never_overridden(prescriber, prescriber_a, nurse_a, iv,
                                              stock) -> None:
    with pytest.raises(ValidationError, match="outside the range"):
        _dose(prescriber, iv, stock, nurse_a, mg_per_kg=0.8, override_reason="I decide")
    # The signed-in prescriber approves within the maximum without a co-signature.
    dose = _dose(prescriber, iv, stock, nurse_a, mg_per_kg=0.7, override_reason="Titrating")
    assert dose.override_by == prescriber_a


def test_a_nurse_overrides_a_hold_only_with_a_prescriber_cosigning(nurse, prescriber_a,
                                                                   iv) -> None:
    actions.record_vitals(nurse, iv, sbp=152, dbp=84, hr=70, spo2=98, rr=14)
    iv.refresh_from_db()
    assert iv.hold
    with pytest.raises(ValidationError, match="Only a prescriber"):
        actions.override_hold(nurse, iv, "rechecked")
    actions.override_hold(nurse, iv, "Manual BP 138/82",
                          cosigned=cosigned(nurse, prescriber_a, "hold_override"))
    iv.refresh_from_db()
    assert iv.override_by == prescriber_a and iv.hold_cleared


def test_wrong_password_is_refused_and_throttled(nurse, prescriber_a) -> None:
    for _ in range(5):
        with pytest.raises(cosign.CosignError, match="Password or PIN not right"):
            cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya",
                          password="guess")
    # The sixth try is refused even with the right password, without checking it.
    with pytest.raises(cosign.CosignError, match="Too many wrong co-signatures") as err:
        cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya", password=PASSWORD)
    assert err.value.field == "cosign_password"
    failed = AuditEvent.objects.filter(object_type="cosign", action="sign_in_failed")
    assert failed.count() == 6 and failed.first().detail["result"] == "wrong_password"


@override_settings(AXES_FAILURE_LIMIT=2, AXES_COOLOFF_TIME=timedelta(seconds=3))
def test_throttle_window_passes_and_success_resets(nurse, prescriber_a) -> None:
    # A window of 3 s: on a loaded machine two password checks can take over a second.
    began = time.monotonic()
    for _ in range(2):
        with pytest.raises(cosign.CosignError, match="not right"):
            cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya", password="x")
    last_failure = time.monotonic()
    assert last_failure - began < 3, "too slow to test the window"
    with pytest.raises(cosign.CosignError, match="Too many"):
        cosigned(nurse, prescriber_a, "second_check")
    # The window passes (the audit trail cannot be back-dated).
    time.sleep(max(0.0, last_failure + 3.1 - time.monotonic()))
    assert cosigned(nurse, prescriber_a, "second_check").user == prescriber_a


def test_two_factor_cosigner_needs_their_code(nurse, prescriber_a) -> None:
    device = TOTPDevice.objects.create(user=prescriber_a, name="app", confirmed=True)
    with pytest.raises(cosign.CosignError, match="6-digit code") as err:
        cosigned(nurse, prescriber_a, "second_check")
    assert err.value.field == "cosign_code"
    with pytest.raises(cosign.CosignError, match="not right"):
        cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya",
                      password=PASSWORD, code="000000" if totp(device.bin_key) else "1")
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    code = f"{totp(device.bin_key):06d}"
    signature = cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya",
                              password=PASSWORD, code=code)
    assert signature.method == "password+totp"


def test_the_cosigner_cannot_be_the_first_signer(nurse, nurse_a) -> None:
    with pytest.raises(cosign.CosignError, match="second person, not you"):
        cosigned(nurse, nurse_a, "second_check")


def test_alerts_reach_the_prescriber_and_are_acknowledged(nurse, prescriber, prescriber_a,
                                                          nurse_a, iv, stock, clinic_a) -> None:
    from tests.conftest import make_staff

    on_duty = make_staff("omar", clinic_a, "prescriber")
    clinic_a.settings = {"on_duty_prescriber": "omar"}
    clinic_a.save()
    actions.record_vitals(nurse, iv, sbp=150, dbp=84, hr=70, spo2=98, rr=14)
    iv.refresh_from_db()
    hold = ClinicalAlert.objects.get(session=iv, kind="hold")
    assert set(hold.recipients.all()) == {prescriber_a, on_duty}
    actions.override_hold(prescriber, iv, "Manual 136/80")
    iv.refresh_from_db()
    _dose(nurse, iv, stock, prescriber_a)
    iv.refresh_from_db()
    actions.record_vitals(nurse, iv, sbp=184, dbp=100, hr=88, spo2=97, rr=16)
    actions.record_adverse_event(nurse, iv, term="syncope", severity="severe", serious=True)
    assert [a.kind for a in actions.open_alerts_for(prescriber_a, clinic_a.pk)] == [
        "hold", "vitals", "serious_event"]
    assert actions.open_alerts_for(nurse_a, clinic_a.pk) == []
    vitals = ClinicalAlert.objects.get(session=iv, kind="vitals")
    with pytest.raises(Exception, match="does not allow"):
        actions.acknowledge_alert(nurse, vitals)
    actions.acknowledge_alert(prescriber, vitals)
    with pytest.raises(actions.AlreadyDone, match="Already acknowledged by"):
        actions.acknowledge_alert(prescriber, vitals)
    assert len(actions.open_alerts_for(on_duty, clinic_a.pk)) == 2


def test_discharge_refused_past_due_calls_the_prescriber(nurse, prescriber_a, iv,
                                                         stock) -> None:
    _dose(nurse, iv, stock, prescriber_a)
    iv.refresh_from_db()
    actions.stop_infusion(nurse, iv)
    with pytest.raises(actions.AlreadyDone, match="already stopped"):
        actions.stop_infusion(nurse, iv)
    # Not yet due: refused, nobody called.
    with pytest.raises(ValidationError, match="Not ready"):
        actions.discharge(nurse, iv, dissociation_resolved=True, escort_present=True)
    assert not ClinicalAlert.objects.filter(kind="discharge").exists()
    Dose.objects.filter(session=iv).update(started_at=iv.dose.started_at - timedelta(hours=2),
                                           stopped_at=iv.dose.stopped_at - timedelta(hours=1))
    iv.refresh_from_db()
    for _ in range(2):
        with pytest.raises(ValidationError, match="Sedation not rated"):
            actions.discharge(nurse, iv, dissociation_resolved=True, escort_present=True)
    # Kept although the discharge was not, and once while it is open.
    alert = ClinicalAlert.objects.get(kind="discharge")
    assert "not ready" in alert.message and alert.recipients.get() == prescriber_a


def test_only_a_prescriber_documents_the_sedation_judgement(nurse, prescriber, iv) -> None:
    with pytest.raises(ValidationError, match="Only a prescriber documents"):
        actions.discharge(nurse, iv, dissociation_resolved=True, escort_present=True,
                          sedation_judgement="looks fine")


def test_second_dose_and_second_signature_get_a_clear_message(nurse, prescriber, prescriber_a,
                                                              nurse_a, iv, stock) -> None:
    _dose(nurse, iv, stock, prescriber_a)
    with pytest.raises(actions.AlreadyDone, match="already recorded .* by noah"):
        _dose(nurse, iv, stock, prescriber_a)
    assert Dose.objects.filter(session=iv).count() == 1
    iv.refresh_from_db()
    actions.stop_infusion(nurse, iv)
    Dose.objects.filter(session=iv).update(started_at=iv.dose.started_at - timedelta(hours=2),
                                           stopped_at=iv.dose.stopped_at - timedelta(hours=1))
    iv.refresh_from_db()
    from ketacare.treatment.models import VitalSigns

    actions.record_vitals(nurse, iv, sbp=130, dbp=82, hr=72, spo2=98, rr=14)
    VitalSigns.objects.filter(session=iv, phase="monitoring").update(minute=40)
    actions.record_vitals(nurse, iv, sbp=128, dbp=80, hr=70, spo2=98, rr=14)
    actions.record_rating(nurse, iv, "cadss6", [0] * 6)
    actions.record_rating(nurse, iv, "moaas", [5])
    actions.discharge(nurse, iv, dissociation_resolved=True, escort_present=True)
    with pytest.raises(actions.AlreadyDone, match="Already discharged by noah"):
        actions.discharge(nurse, iv, dissociation_resolved=True, escort_present=True)
    actions.sign(nurse, iv)
    with pytest.raises(actions.AlreadyDone, match="Already signed by noah"):
        actions.sign(prescriber, iv)
    iv.refresh_from_db()
    assert iv.signed_by == nurse_a


def test_the_lot_comes_from_the_ledger_whatever_the_caller_says(nurse, prescriber, prescriber_a,
                                                                iv, stock, monkeypatch) -> None:
    """Lot and expiry are the ledger's (issue 13 item 5), enforced in the action: a lot the
    ledger never received is refused, and so is one the ledger says has expired, whatever
    expiry the caller (a page, the API, a script) passes."""
    from ketacare.accounts.models import Clinic
    from ketacare.ledger import actions as ledger

    before = balance(stock["vial"])
    with pytest.raises(ValidationError, match="not on hand"):
        actions.give_dose(nurse, iv, mg_per_kg=0.5, stock_item=stock["vial"], lot="MADE-UP",
                          expiry=stock["expiry"],
                          second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    # A lot received expiring today (usable today), tried tomorrow with a made-up expiry.
    today = iv.course.patient.clinic.today()
    ledger.receive(prescriber, stock["vial"], vials=1, lot="OLD-1", expiry=today,
                   supplier="Acme", invoice="INV-2")
    real_today = Clinic.today
    monkeypatch.setattr(Clinic, "today", lambda self: real_today(self) + timedelta(days=1))
    before = balance(stock["vial"])
    with pytest.raises(ValidationError, match="expired"):
        actions.give_dose(nurse, iv, mg_per_kg=0.5, stock_item=stock["vial"], lot="OLD-1",
                          expiry=today + timedelta(days=300),
                          second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    iv.refresh_from_db()
    assert not hasattr(iv, "dose") and balance(stock["vial"]) == before


def test_the_prescribers_home_shows_the_hold_and_the_note_keeps_it(client, nurse, prescriber_a,
                                                                   iv, clinic_a) -> None:
    """Found in issue 13: the prescriber's home page showed a patient on hold as "In
    progress", and a hold vanished from the note once a recheck cleared it."""
    from ketacare.treatment.models import Session

    Session.objects.filter(pk=iv.pk).update(planned_date=clinic_a.today())
    actions.record_vitals(nurse, iv, sbp=152, dbp=84, hr=70, spo2=98, rr=14)
    client.force_login(prescriber_a)
    home = client.get("/").content.decode()
    assert 'data-testid="on-hold"' in home
    assert 'data-testid="home-alerts"' in home and "SBP 152 &gt; 140" in home
    assert re.search(r'data-testid="session-alert-badge"[^>]*>1<', home)
    iv.refresh_from_db()
    actions.record_vitals(nurse, iv, sbp=128, dbp=80, hr=70, spo2=98, rr=14)
    assert 'data-testid="on-hold"' not in client.get("/").content.decode()
    page = client.get(f"/treatment/sessions/{iv.pk}/").content.decode()
    alerts = page[page.index('data-testid="clinical-alerts"'):]
    assert "Dosing hold" in alerts and "SBP 152 &gt; 140" in alerts
    assert "notified at" in alerts and "Priya Tester" in alerts
