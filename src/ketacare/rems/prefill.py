"""The REMS form's values as the session recorded them, each with where it came from.

A value the session cannot answer is None with a source that says so; "minutes until the
patient would have been ready to leave" is a clinical judgement and is never prefilled.
Every prefilled value is a suggestion the clinician confirms or changes before signing."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.patients.models import Medication, MedicationCategory
from ketacare.pdf import person
from ketacare.treatment.models import (
    AdverseEvent,
    AlertKind,
    ClinicalAlert,
    Rating,
    RatingKind,
    Session,
    VitalSigns,
    VitalsPhase,
)

ESKETAMINE_ROUTE = "esketamine_nasal"
# The "about 40 minutes" BP: the monitoring reading nearest minute 40 within this window.
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
}
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


def _medications_on(session: Session, day: date) -> list[Medication]:
    """Medications on the list on the treatment date (started by then, not stopped
    before it, not entered in error)."""
    return [m for m in Medication.objects.filter(patient=session.course.patient,
                                                 entered_in_error=False)
            if (m.started_on is None or m.started_on <= day)
            and (m.stopped_on is None or m.stopped_on >= day)]


def _dose_choice(dose_mg: Decimal) -> tuple[str, int | None]:
    mg = float(dose_mg)
    if mg in (56.0, 84.0):
        return str(int(mg)), None
    return "other", round(mg)


def build(session: Session) -> dict[str, Prefill]:
    """key -> Prefill for every field of `ketacare.rems.fields.FIELDS`."""
    patient = session.course.patient
    clinic = patient.clinic
    dose = session.dose
    day = treatment_date(session)
    out: dict[str, Prefill] = {}
    record = "Patient record"
    out["patient_name"] = Prefill(patient.full_name, record)
    out["date_of_birth"] = Prefill(patient.date_of_birth.isoformat(), record)
    out["sex"] = Prefill(patient.sex_at_birth, f"{record} (sex at birth)")

    meds = _medications_on(session, day)
    for key, category in MEDICATION_FIELDS.items():
        found = [m for m in meds if m.category == category]
        label = category.label if category.label.isupper() else category.label.lower()
        if found:
            out[key] = Prefill("yes", "Medication list: " + ", ".join(str(m) for m in found))
        else:
            out[key] = Prefill("no", f"No {label} on the medication list on {day:%Y-%m-%d}")

    out["clinician"] = Prefill(person(dose.given_by), "Dose record: given by")
    site = ", ".join(x for x in (clinic.name, " ".join(clinic.address.split())) if x)
    out["site"] = Prefill(site, "Clinic name and address" if clinic.address.strip()
                          else "Clinic name (no address on file: add it)")
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

    # Dosing is refused on a hold until a prescriber overrides it, so a dosed session had
    # either no hold or an overridden one; the reasons stay visible for the clinician.
    alerts = list(session.clinical_alerts.select_related("acknowledged_by"))
    holds = [a for a in alerts if a.kind == AlertKind.HOLD]
    if session.hold:
        when = (f" at {local(session, session.override_at):%H:%M}"
                if session.override_at else "")
        out["vitals_ok_predose"] = Prefill(
            "yes", "Dosing hold (" + "; ".join(session.hold_reasons) + ") overridden by "
            f"{person(session.override_by)}{when}: {session.override_reason}. "
            "Review this answer.")
    elif holds:
        out["vitals_ok_predose"] = Prefill(
            "yes", "; ".join(_alert_text(session, a) for a in holds)
            + "; lifted by a recheck below the limits. Review this answer.")
    else:
        out["vitals_ok_predose"] = Prefill("yes", "No dosing hold on the pre-dose vitals")
    during = [a for a in alerts if a.kind != AlertKind.HOLD]
    if session.discharged_at is not None:
        out["vitals_ok_completion"] = Prefill(
            "yes", f"Discharged {local(session, session.discharged_at):%H:%M} by "
                   f"{person(session.discharged_by)} with the discharge criteria met"
                   + ("; alerts during the session: "
                      + "; ".join(_alert_text(session, a) for a in during) if during else ""))
    else:
        out["vitals_ok_completion"] = Prefill(None, "Not discharged yet")

    vitals = [v for v in session.vitals.all() if v.sbp is not None and v.dbp is not None]
    predose = [v for v in vitals if v.phase == VitalsPhase.PREDOSE]
    monitoring = [v for v in vitals if v.phase == VitalsPhase.MONITORING]
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
