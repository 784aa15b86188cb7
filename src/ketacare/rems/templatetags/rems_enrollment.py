"""The chart's REMS enrollment flag (issue 14 item 7), one `{% include %}` on the chart."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.patients.models import Patient

from ..enrollment import enrollment_of

register = template.Library()


@register.inclusion_tag("rems/_enrollment_flag.html")
def rems_enrollment_flag(patient: Patient) -> dict[str, Any]:
    """Shown for a patient screened for esketamine or already enrolled."""
    current = enrollment_of(patient)
    screened = patient.screenings.filter(route=ESKETAMINE_ROUTE).exists()
    return {"patient": patient, "current": current, "show": screened or current is not None}
