"""The chart's REMS enrollment flag (issue 14 item 7), one `{% include %}` on the chart."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.patients.models import Patient, Screening

from ..enrollment import enrollment_of

register = template.Library()


@register.inclusion_tag("rems/_enrollment_flag.html")
def rems_enrollment_flag(patient: Patient, screenings: Iterable[Screening]) -> dict[str, Any]:
    """Shown for a patient screened for esketamine or already enrolled (`screenings`: the
    patient's, which the chart has read already)."""
    current = enrollment_of(patient)
    screened = any(s.route == ESKETAMINE_ROUTE for s in screenings)
    return {"patient": patient, "current": current, "show": screened or current is not None}
