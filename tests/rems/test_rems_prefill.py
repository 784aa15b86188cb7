"""The form's values from a completed esketamine session: each value and where it came from."""

from __future__ import annotations

import zoneinfo

import pytest
from django.utils import timezone

from ketacare.rems import fields, prefill
from ketacare.treatment.models import VitalSigns

from .conftest import esketamine_session

pytestmark = pytest.mark.django_db


def test_prefill_from_a_complete_esketamine_session(done_session, nurse_a) -> None:
    s = done_session
    p = prefill.build(s)
    assert set(p) == {f.key for f in fields.FIELDS}
    values = {k: v.value for k, v in p.items()}
    day = timezone.localtime(s.dose.started_at, zoneinfo.ZoneInfo("America/New_York")).date()
    assert values == {
        "patient_name": "Jordan Rivera", "date_of_birth": "1985-04-12", "sex": "female",
        "first_treatment": "yes", "enrolled": "yes",
        "benzodiazepines": "yes", "hypnotics": "no", "psychostimulants": "no", "maois": "no",
        "opioids": "no",
        "clinician": "Noah Tester", "clinician_phone": "207-555-0142",
        "clinician_email": "noah@clinic-a.example",
        "site": "Clinic A, 12 Harbor Street Suite 4, Portland, ME 04101",
        "site_city": "Portland", "site_state": "ME", "site_zip": "04101",
        "treatment_date": day.isoformat(),
        "dose": "56", "dose_other_mg": None, "lot": "ES-77",
        "total_minutes": 121, "ready_minutes": None,
        "vitals_ok_predose": "yes", "vitals_ok_completion": "yes",
        "bp_predose": "124/78", "bp_40min": "148/92", "bp_discharge": "128/80",
        "sedation": "yes", "dissociation": "yes", "respiratory_depression": "no",
        "serious_ae": "yes", "serious_ae_terms": "vasovagal syncope (severe)",
    }
    src = {k: v.source for k, v in p.items()}
    assert src["patient_name"] == "Patient record"
    assert src["benzodiazepines"] == "Medication list: lorazepam 0.5 mg at night"
    assert src["hypnotics"].startswith("No non-benzodiazepine hypnotic on the medication list")
    assert src["clinician"] == "Dose record: given by"
    assert src["site"] == "Clinic name and address"
    assert src["dose"] == "Dose record: 56 mg, 2 x 28 mg devices"
    assert src["lot"] == "Dose record: lot"
    assert src["total_minutes"].startswith("First device ") and " to discharge " in src[
        "total_minutes"]
    assert src["ready_minutes"] == "Your clinical judgement: never prefilled from the session"
    assert src["vitals_ok_predose"].startswith("Last pre-dose reading 124/78 at ")
    assert src["enrolled"].startswith("REMS enrollment recorded: enrolled ")
    assert src["site_city"] == "Clinic address"
    assert src["vitals_ok_completion"].startswith("Discharged ") and "Noah Tester" in src[
        "vitals_ok_completion"]
    # The alerts of the session stay on the form with their times (issue 13).
    assert ("alerts during the session: Serious adverse event: vasovagal syncope (Severe) at "
            in src["vitals_ok_completion"]) and "prescriber notified" in src[
        "vitals_ok_completion"]
    assert src["bp_predose"].startswith("Latest pre-dose vitals")
    assert src["bp_40min"].startswith("Monitoring vitals") and "minute 41" in src["bp_40min"]
    assert src["bp_discharge"].startswith("Last monitoring vitals") and "minute 121" in src[
        "bp_discharge"]
    assert src["sedation"] == "MOAA/S 4 (lowest of 2) at minute 41"
    assert src["dissociation"] == "CADSS-6 total 4 (highest of 2) at minute 41"
    assert "Lowest monitoring SpO2 95%" in src["respiratory_depression"]
    assert "[check]" in src["respiratory_depression"]
    assert src["serious_ae"] == "Adverse events marked serious: vasovagal syncope (severe)"


def test_prefill_before_discharge_leaves_the_end_of_monitoring_open(
        nurse, prescriber, rems_patient, clinic_a, stock) -> None:
    s = esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock, discharge=False)
    p = prefill.build(s)
    assert p["total_minutes"].value is None and "Not discharged" in p["total_minutes"].source
    assert p["vitals_ok_completion"].value is None
    assert p["bp_discharge"].value == "128/80"  # the last reading so far


def test_overridden_hold_other_dose_and_low_spo2(nurse, prescriber, rems_patient, clinic_a,
                                                 stock) -> None:
    s = esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock,
                           predose=(152, 88), fixed_mg=84)
    VitalSigns.objects.filter(session=s, minute=41).update(spo2=91, minute=55)
    p = prefill.build(s)
    assert p["dose"].value == "84" and p["dose_other_mg"].value is None
    # Issue 14 item 7: from the readings, "no" even though the hold was overridden.
    assert p["vitals_ok_predose"].value == "no"
    assert "152/88" in p["vitals_ok_predose"].source
    assert "SBP 152 > 140" in p["vitals_ok_predose"].source
    assert "overridden by Priya Tester" in p["vitals_ok_predose"].source
    assert p["respiratory_depression"].value == "yes"  # SpO2 91 < 92
    # No monitoring BP between minute 30 and 50 now: the clinician enters it.
    assert p["bp_40min"].value is None and "between minute 30 and 50" in p["bp_40min"].source


def test_no_ratings_and_no_serious_events(nurse, prescriber, rems_patient, clinic_a,
                                          stock) -> None:
    s = esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock)
    s.ratings.all().delete()
    s.adverse_events.filter(serious=True).delete()
    p = prefill.build(s)
    assert p["sedation"].value is None and p["dissociation"].value is None
    assert p["serious_ae"].value == "no" and "(recorded: nausea)" in p["serious_ae"].source
    assert p["serious_ae_terms"].value is None


def test_other_dose_is_prefilled_in_mg() -> None:
    from decimal import Decimal

    assert prefill._dose_choice(Decimal("56.00")) == ("56", None)
    assert prefill._dose_choice(Decimal("28.00")) == ("other", 28)


@pytest.mark.parametrize(("field", "raw", "message"), [
    ("bp_predose", "80/120", "swapped"),
    ("bp_predose", "120-80", "SBP/DBP"),
    ("total_minutes", "-3", "0 to 1440"),
    ("sedation", "maybe", "Yes, No"),
    ("treatment_date", "12/03/2025", "YYYY-MM-DD"),
])
def test_field_rules_name_the_allowed_values(field, raw, message) -> None:
    with pytest.raises(ValueError, match=message):
        fields.clean(fields.BY_KEY[field], raw)


def test_conditional_fields_are_asked_only_when_they_apply() -> None:
    values = {f.key: "x" for f in fields.FIELDS}
    values.update(dose="56", dose_other_mg=None, serious_ae="no", serious_ae_terms=None)
    assert fields.missing(values) == []
    values["dose"] = "other"
    assert [f.key for f in fields.missing(values)] == ["dose_other_mg"]


def test_second_treatment_unenrolled_opioid_and_sex_on_the_form(
        nurse, prescriber, rems_patient, clinic_a, stock) -> None:
    from ketacare.patients import actions as patient_actions
    from ketacare.patients.models import Medication
    from ketacare.rems import enrollment

    first = esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock)
    patient_actions.add_entry(prescriber, rems_patient, Medication(
        name="tramadol", dose="50 mg as needed", category="opioid"))
    enrollment.mark_in_error(prescriber, enrollment.enrollment_of(rems_patient), "wrong patient")
    rems_patient.sex_at_birth = "intersex"
    rems_patient.save(update_fields=["sex_at_birth"])
    second = first.course.sessions.get(number=2)
    from ketacare.treatment import actions as treatment_actions

    treatment_actions.check_in(nurse, second, escort_present=True, no_driving_ack=True,
                               npo_confirmed=True)
    treatment_actions.record_vitals(nurse, second, sbp=120, dbp=80, hr=70, spo2=98, rr=14)
    # Not the first dose any more: the enrollment rule does not refuse it.
    treatment_actions.give_dose(nurse, second, fixed_mg=56, stock_item=stock["spray"],
                                lot="ES-77", expiry=stock["expiry"])
    second.refresh_from_db()
    p = prefill.build(second)
    assert p["first_treatment"].value == "no" and "1 earlier" in p["first_treatment"].source
    assert p["enrolled"].value == "no"
    assert p["opioids"].value == "yes" and "tramadol" in p["opioids"].source
    assert p["sex"].value == "other"


def test_site_parts_and_new_field_rules() -> None:
    parts = prefill._site_parts("1 Main St\nSuite 2, Austin, TX 78701-1234")
    assert {k: v.value for k, v in parts.items()} == {
        "site_city": "Austin", "site_state": "TX", "site_zip": "78701-1234"}
    assert prefill._site_parts("somewhere")["site_zip"].value is None
    assert fields.clean(fields.BY_KEY["site_state"], "me") == "ME"
    for key, raw in (("site_state", "Maine"), ("site_zip", "4101"),
                     ("clinician_email", "noah at clinic")):
        with pytest.raises(ValueError):
            fields.clean(fields.BY_KEY[key], raw)
    assert [label for _, label in fields.SEX] == ["Male", "Female", "Other"]


def test_a_hold_lifted_by_a_recheck_stays_on_the_form_with_its_times(
        nurse, prescriber, rems_patient, clinic_a, stock) -> None:
    """Issue 13: holds no longer vanish once cleared; the form keeps the hold, who was
    notified and who acknowledged it, with the clinic's times."""
    from ketacare.treatment import actions
    from ketacare.treatment.models import ClinicalAlert
    from tests.treatment.conftest import next_monday, protocol

    course = actions.start_course(prescriber, rems_patient, protocol(clinic_a, "esketamine"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 3}))
    s = course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=True)
    actions.record_vitals(nurse, s, sbp=152, dbp=88, hr=70, spo2=98, rr=14)
    actions.record_vitals(nurse, s, sbp=128, dbp=80, hr=70, spo2=98, rr=14)
    s.refresh_from_db()
    assert not s.hold
    hold = ClinicalAlert.objects.get(session=s, kind="hold")
    actions.acknowledge_alert(prescriber, hold)
    actions.give_dose(nurse, s, fixed_mg=56, stock_item=stock["spray"], lot="ES-77",
                      expiry=stock["expiry"])
    hold.refresh_from_db()
    zone = zoneinfo.ZoneInfo(clinic_a.time_zone)
    source = prefill.build(s)["vitals_ok_predose"].source
    assert "SBP 152 > 140" in hold.message
    assert (f"earlier: {hold.message} at {hold.raised_at.astimezone(zone):%H:%M}, prescriber "
            f"notified, acknowledged by Priya Tester at "
            f"{hold.acknowledged_at.astimezone(zone):%H:%M}") in source
    assert "lifted by a recheck below the limits" in source
