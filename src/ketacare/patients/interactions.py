"""A patient's interaction warnings today: the current medication list and the alcohol
use answered at the newest screening, through `ketacare.clinical.interactions`."""

from __future__ import annotations

from datetime import date

from ketacare.clinical import interactions
from ketacare.clinical.routes import ESKETAMINE_ROUTE

from .chart import patient_medications, patient_screenings
from .models import Medication, Patient


def current_medications(patient: Patient, day: date) -> list[Medication]:
    """Medications on the list on `day`: started by then (or no start date), not stopped
    before it, not entered in error."""
    return [
        m for m in patient_medications(patient.pk)
        if not m.entered_in_error
        and (m.started_on is None or m.started_on <= day)
        and (m.stopped_on is None or m.stopped_on >= day)
    ]


def patient_interactions(
    patient: Patient, day: date, route: str = ESKETAMINE_ROUTE
) -> tuple[interactions.Interaction, ...]:
    screening = next(iter(patient_screenings(patient.pk)), None)
    alcohol = bool(screening and screening.facts.get("alcohol_use"))
    meds = [(m.category, str(m)) for m in current_medications(patient, day)]
    return interactions.interactions(meds, alcohol_use=alcohol, route=route)
