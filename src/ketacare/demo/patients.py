"""Creates planned patients that are missing, through the patient actions with a demo
staff member, so demo patients pass the same validation and land in the same audit trail
as real ones."""

from __future__ import annotations

from ketacare.accounts.models import Clinic
from ketacare.accounts.staff import Staff
from ketacare.clinical import eligibility
from ketacare.patients import actions
from ketacare.patients.models import Diagnosis, Medication, Patient, PriorTreatment, Weight

from .planner import PatientPlan
from .profiles import DESCRIPTIONS


def populate(clinic: Clinic, plans: list[PatientPlan], intake: Staff, nurse: Staff,
             prescriber: Staff) -> int:
    """Creates the planned patients not yet in `clinic`; returns how many."""
    existing = set(Patient.objects.filter(
        clinic=clinic, mrn__in=[p.mrn for p in plans]).values_list("mrn", flat=True))
    missing = [p for p in plans if p.mrn not in existing]
    for plan in missing:
        _create(plan, intake, nurse, prescriber)
    return len(missing)


def _create(plan: PatientPlan, intake: Staff, nurse: Staff, prescriber: Staff) -> None:
    patient = actions.create_patient(intake, {"mrn": plan.mrn, **plan.demographics})
    for code, primary in plan.diagnoses:
        actions.add_entry(prescriber, patient, Diagnosis(
            icd10_code=code, description=DESCRIPTIONS[code], primary=primary))
    for measured_on, kg in plan.weights:
        actions.add_entry(nurse, patient, Weight(weight_kg=kg, measured_on=measured_on))
    for treatment in plan.treatments:
        actions.add_entry(prescriber, patient, PriorTreatment(**treatment))
    for medication in plan.medications:
        actions.add_entry(nurse, patient, Medication(**medication))
    for s in plan.screenings:
        answers = {c.code: c.code in s.findings for c in eligibility.criteria_for(s.route)}
        facts = eligibility.ScreeningFacts(
            age_years=plan.age_years, sbp_mmhg=s.bp[0], dbp_mmhg=s.bp[1])
        screener = prescriber if s.by_prescriber else nurse
        screening = actions.record_screening(screener, patient, s.route, answers, facts)
        if s.decision:
            actions.decide_eligibility(prescriber, screening, *s.decision)
