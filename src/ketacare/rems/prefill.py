"""The REMS form's values as the session recorded them, each with where it came from.

A value the session cannot answer is None with a source that says so; "minutes until the
patient would have been ready to leave" is a clinical judgement and is never prefilled.
Every prefilled value is a suggestion the clinician confirms or changes before signing."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.clinical import safety
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.patients.interactions import current_medications
from ketacare.patients.models import MedicationCategory, Sex
from ketacare.pdf import person
from ketacare.treatment.models import (
    AdverseEvent,
    AlertKind,
    ClinicalAlert,
    Dose,
    Rating,
    RatingKind,
    Session,
    VitalSigns,
    VitalsPhase,
)

# The "about 40 minutes" BP (reference s.4: BP peaks about 40 min after dosing; the form
# asks for it): the monitoring reading nearest minute 40 within this window [clinic default].
BP_40_TARGET_MIN, BP_40_WINDOW = 40, (30, 50)
# Respiratory depression is prefilled "yes" when any monitoring SpO2 is below this. [check]
# A KetaCare product rule (it matches the clinic alert default, reference s.4), not a
# definition from the label or the REMS program: the clinician confirms the answer.
RESP_DEPRESSION_SPO2 = 92
# MOAA/S 5 = responds readily to name spoken in a normal tone; anything lower is sedation.
MOAAS_ALERT = 5
MEDICATION_FIELDS = {
    "benzodiazepines": MedicationCategory.BENZODIAZEPINE,
    "hypnotics": MedicationCategory.HYPNOTIC,
    "psychostimulants": MedicationCategory.PSYCHOSTIMULANT,
    "maois": MedicationCategory.MAOI,
    "opioids": MedicationCategory.OPIOID,
}
# Sex at birth in the chart -> the form's Male/Female/Other; unknown is asked.
SEX_ON_FORM: dict[str, str] = {Sex.MALE: "male", Sex.FEMALE: "female", Sex.INTERSEX: "other"}
# US address lines end "City, ST 12345": the city is the last comma-separated part.
_CITY_STATE_ZIP = re.compile(
    r"(?:^|,)\s*(?P<city>[^,\n]+?),\s*(?P<state>[A-Z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)\s*$")
# Clinic setting with the phone the REMS form and patients use.
PHONE_SETTING = "phone"
ASK = "Not recorded in the session: answer it yourself."


@dataclass(frozen=True)
class Prefill:
    value: Any
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source}


def is_rems_session(session: Session) -> bool:
    dose = getattr(session, "dose", None)
    return dose is not None and dose.route == ESKETAMINE_ROUTE


def zone(session: Session) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(session.course.patient.clinic.time_zone)


def local(session: Session, moment: datetime) -> datetime:
    return timezone.localtime(moment, zone(session))


def treatment_date(session: Session) -> date:
    """The day the dose was given, in the clinic's zone (not the planned date)."""
    dose = getattr(session, "dose", None)
    if dose is None:
        return session.planned_date
    return local(session, dose.started_at).date()


def _alert_text(session: Session, alert: ClinicalAlert) -> str:
    """An alert with its times, as the note and the form keep it."""
    text = f"{alert.message} at {local(session, alert.raised_at):%H:%M}, prescriber notified"
    if alert.acknowledged_at is not None:
        text += (f", acknowledged by {person(alert.acknowledged_by)} at "
                 f"{local(session, alert.acknowledged_at):%H:%M}")
    return text


def _bp(v: VitalSigns) -> str:
    return f"{v.sbp}/{v.dbp}"


def _at(session: Session, v: VitalSigns) -> str:
    minute = f", minute {v.minute}" if v.minute is not None else ""
    return f"{local(session, v.taken_at):%H:%M}{minute}"


def _first_treatment(session: Session) -> Prefill:
    earlier = Dose.objects.filter(
        session__course__patient=session.course.patient, route=ESKETAMINE_ROUTE,
        started_at__lt=session.dose.started_at).count()
    if earlier:
        return Prefill("no", f"{earlier} earlier esketamine dose(s) recorded here")
    return Prefill("yes", "No earlier esketamine dose recorded here; check the patient "
                          "had none elsewhere")


def _enrolled(session: Session, day: date) -> Prefill:
    # Imported here: enrollment imports .actions, which imports this module.
    from .enrollment import enrollment_of

    row = enrollment_of(session.course.patient, day)
    if row is None:
        return Prefill("no", f"No REMS enrollment recorded on or before {day:%Y-%m-%d}")
    return Prefill("yes", f"REMS enrollment recorded: enrolled {row.enrolled_on:%Y-%m-%d}"
                          f" by {person(row.recorded_by)}")


def _predose_ok(session: Session, predose: list[VitalSigns]) -> Prefill:
    """From the readings: "no" when the last pre-dose reading was over the hold limit,
    even though a prescriber overrode the hold to dose."""
    if not predose:
        return Prefill(None, ASK)
    last = predose[-1]
    assert last.sbp is not None and last.dbp is not None  # `predose` has both
    patient = session.course.patient
    age = patient.age_on(treatment_date(session))
    check = safety.predose_check(last.sbp, last.dbp, age, session.course.protocol().hold)
    at = _at(session, last)
    if not check.hold:
        return Prefill("yes", f"Last pre-dose reading {_bp(last)} at {at} within the limits")
    override = (f"; hold overridden by {person(session.override_by)}: "
                f"{session.override_reason}" if session.override_reason else "")
    return Prefill("no", f"Last pre-dose reading {_bp(last)} at {at} over the limit ("
                   + "; ".join(check.reasons) + ")" + override)


def _site_parts(address: str) -> dict[str, Prefill]:
    match = _CITY_STATE_ZIP.search(" ".join(address.split()))
    if match is None:
        why = "Not found in the clinic address (expected \"City, ST 12345\" at the end)"
        return {k: Prefill(None, why) for k in ("site_city", "site_state", "site_zip")}
    return {f"site_{k}": Prefill(match[k].strip(), "Clinic address")
            for k in ("city", "state", "zip")}


def _dose_choice(dose_mg: Decimal) -> tuple[str, int | None]:
    mg = float(dose_mg)
    if mg in (56.0, 84.0):
        return str(int(mg)), None
    return "other", round(mg)


def build(session: Session) -> dict[str, Prefill]:
    """key -> Prefill for every field of `ketacare.rems.fields.FIELDS`."""
    day = treatment_date(session)
    out = _patient_part(session, day)
    out.update(_medication_part(session, day))
    out.update(_clinician_and_site(session))
    out.update(_dose_part(session, day))
    out.update(_vitals_part(session))
    out.update(_observation_part(session))
    return out


def _patient_part(session: Session, day: date) -> dict[str, Prefill]:
    patient = session.course.patient
    record = "Patient record"
    sex = SEX_ON_FORM.get(patient.sex_at_birth)
    return {
        "patient_name": Prefill(patient.full_name, record),
        "date_of_birth": Prefill(patient.date_of_birth.isoformat(), record),
        "sex": Prefill(sex, f"{record} (sex at birth: {patient.get_sex_at_birth_display()})"
                       if sex else f"{record}: sex at birth unknown; {ASK}"),
        "first_treatment": _first_treatment(session),
        "enrolled": _enrolled(session, day),
    }


def _medication_part(session: Session, day: date) -> dict[str, Prefill]:
    meds = current_medications(session.course.patient, day)
    out: dict[str, Prefill] = {}
    for key, category in MEDICATION_FIELDS.items():
        found = [m for m in meds if m.category == category]
        label = category.label if category.label.isupper() else category.label.lower()
        if found:
            out[key] = Prefill("yes", "Medication list: " + ", ".join(str(m) for m in found))
        else:
            out[key] = Prefill("no", f"No {label} on the medication list on {day:%Y-%m-%d}")
    return out


def _clinician_and_site(session: Session) -> dict[str, Prefill]:
    clinic = session.course.patient.clinic
    dose = session.dose
    phone = str(clinic.setting(PHONE_SETTING, "")).strip()
    email = dose.given_by.email.strip()
    site = ", ".join(x for x in (clinic.name, " ".join(clinic.address.split())) if x)
    return {
        "clinician": Prefill(person(dose.given_by), "Dose record: given by"),
        "clinician_phone": (Prefill(phone, "Clinic phone (clinic setting phone)") if phone
                            else Prefill(None, f"No clinic phone on file: {ASK}")),
        "clinician_email": (Prefill(email, "Dose record: given by (account email)")
                            if email else Prefill(None, f"No email on the account: {ASK}")),
        "site": Prefill(site, "Clinic name and address" if clinic.address.strip()
                        else "Clinic name (no address on file: add it)"),
        **_site_parts(clinic.address),
    }


def _dose_part(session: Session, day: date) -> dict[str, Prefill]:
    clinic = session.course.patient.clinic
    dose = session.dose
    out: dict[str, Prefill] = {}
    out["treatment_date"] = Prefill(day.isoformat(),
                                    f"Dose started {local(session, dose.started_at):%H:%M} "
                                    f"({clinic.time_zone})")
    choice, other = _dose_choice(dose.dose_mg)
    devices = f", {dose.devices} x 28 mg devices" if dose.devices else ""
    out["dose"] = Prefill(choice, f"Dose record: {dose.dose_mg.normalize():f} mg{devices}")
    out["dose_other_mg"] = Prefill(other, "Dose record" if other is not None
                                   else "Not asked for a 56 or 84 mg dose")
    out["lot"] = Prefill(dose.lot, "Dose record: lot")
    first = local(session, dose.started_at)
    if session.discharged_at is not None:
        end = local(session, session.discharged_at)
        minutes = round((session.discharged_at - dose.started_at).total_seconds() / 60)
        out["total_minutes"] = Prefill(minutes, f"First device {first:%H:%M} to discharge "
                                                f"{end:%H:%M}")
    else:
        out["total_minutes"] = Prefill(None, "Not discharged yet: filled in at discharge")
    out["ready_minutes"] = Prefill(None, "Your clinical judgement: never prefilled from the "
                                         "session")
    return out


def _vitals_part(session: Session) -> dict[str, Prefill]:
    out: dict[str, Prefill] = {}
    vitals = [v for v in session.vitals.all() if v.sbp is not None and v.dbp is not None]
    predose = [v for v in vitals if v.phase == VitalsPhase.PREDOSE]
    monitoring = [v for v in vitals if v.phase == VitalsPhase.MONITORING]
    # From the readings (a hold the prescriber overrode is still a "no"); holds that a
    # recheck lifted stay visible for the clinician.
    predose_ok = _predose_ok(session, predose)
    alerts = list(session.clinical_alerts.select_related("acknowledged_by"))
    holds = [a for a in alerts if a.kind == AlertKind.HOLD]
    if holds and not session.hold:
        predose_ok = Prefill(predose_ok.value, predose_ok.source + "; earlier: "
                             + "; ".join(_alert_text(session, a) for a in holds)
                             + ", lifted by a recheck below the limits")
    out["vitals_ok_predose"] = predose_ok
    during = [a for a in alerts if a.kind != AlertKind.HOLD]
    if session.discharged_at is not None:
        out["vitals_ok_completion"] = Prefill(
            "yes", f"Discharged {local(session, session.discharged_at):%H:%M} by "
                   f"{person(session.discharged_by)} with the discharge criteria met"
                   + ("; alerts during the session: "
                      + "; ".join(_alert_text(session, a) for a in during) if during else ""))
    else:
        out["vitals_ok_completion"] = Prefill(None, "Not discharged yet")

    if predose:
        out["bp_predose"] = Prefill(_bp(predose[-1]),
                                    f"Latest pre-dose vitals, {_at(session, predose[-1])}")
    else:
        out["bp_predose"] = Prefill(None, ASK)
    low, high = BP_40_WINDOW
    window = [v for v in monitoring if v.minute is not None and low <= v.minute <= high]
    if window:
        near = min(window, key=lambda v: (abs((v.minute or 0) - BP_40_TARGET_MIN), v.taken_at))
        out["bp_40min"] = Prefill(_bp(near), f"Monitoring vitals, {_at(session, near)}")
    else:
        out["bp_40min"] = Prefill(None, f"No monitoring BP between minute {low} and {high}: "
                                        "enter the reading taken nearest 40 min")
    before_discharge = [v for v in monitoring if session.discharged_at is None
                        or v.taken_at <= session.discharged_at]
    if before_discharge:
        last = before_discharge[-1]
        out["bp_discharge"] = Prefill(_bp(last), f"Last monitoring vitals, {_at(session, last)}")
    else:
        out["bp_discharge"] = Prefill(None, ASK)
    return out


def _observation_part(session: Session) -> dict[str, Prefill]:
    out: dict[str, Prefill] = {}
    ratings = list(session.ratings.all())
    out["sedation"] = _rating_answer(
        [r for r in ratings if r.kind == RatingKind.MOAAS], lambda t: t < MOAAS_ALERT,
        lambda r: f"MOAA/S {r.total}", "lowest", min)
    out["dissociation"] = _rating_answer(
        [r for r in ratings if r.kind == RatingKind.CADSS6], lambda t: t > 0,
        lambda r: f"CADSS-6 total {r.total}", "highest", max)

    spo2 = [v for v in session.vitals.all()
            if v.phase == VitalsPhase.MONITORING and v.spo2 is not None]
    if spo2:
        lowest = min(spo2, key=lambda v: (v.spo2 or 0))
        answer = "yes" if (lowest.spo2 or 0) < RESP_DEPRESSION_SPO2 else "no"
        out["respiratory_depression"] = Prefill(
            answer, f"Lowest monitoring SpO2 {lowest.spo2}% at {_at(session, lowest)} "
                    f"(KetaCare rule: below {RESP_DEPRESSION_SPO2}% suggests yes [check])")
    else:
        out["respiratory_depression"] = Prefill(None, "No SpO2 recorded during monitoring")

    events: list[AdverseEvent] = list(session.adverse_events.all())
    serious = [e for e in events if e.serious]
    if serious:
        terms = "; ".join(f"{e.term} ({e.get_severity_display().lower()})" for e in serious)
        out["serious_ae"] = Prefill("yes", f"Adverse events marked serious: {terms}")
        out["serious_ae_terms"] = Prefill(terms, "Adverse events marked serious")
    else:
        others = ", ".join(e.term for e in events)
        out["serious_ae"] = Prefill("no", "No adverse event marked serious"
                                    + (f" (recorded: {others})" if others else ""))
        out["serious_ae_terms"] = Prefill(None, "Not asked when there is no serious event")
    return out


def _rating_answer(ratings: list[Rating], positive: Any, describe: Any, word: str,
                   pick: Any) -> Prefill:
    if not ratings:
        return Prefill(None, "No rating recorded in the session: answer from your observation")
    extreme = pick(ratings, key=lambda r: r.total)
    answer = "yes" if any(positive(r.total) for r in ratings) else "no"
    minute = f" at minute {extreme.minute}" if extreme.minute is not None else ""
    return Prefill(answer, f"{describe(extreme)} ({word} of {len(ratings)}){minute}")


def values(prefill: dict[str, Prefill]) -> dict[str, Any]:
    return {key: p.value for key, p in prefill.items()}
