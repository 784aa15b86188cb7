"""Self-report on other apps' pages: `{% open_alert_count request.staff %}` for the nav
badge (one COUNT query) and `{% trajectories_for patient as trajectories %}` for the
patient chart's summary (the chart's app sits below self-report and does not import it)."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import short_name
from ketacare.patients.models import Patient

from ..models import Alert
from ..trajectories import Trajectory, patient_trajectories

register = template.Library()
register.filter("instrument_name", short_name)


@register.simple_tag
def open_alert_count(staff: Staff | None) -> int:
    if staff is None or not staff.can(Perm.SELFREPORT_VIEW):
        return 0
    return Alert.objects.filter(clinic=staff.clinic, acknowledged_at__isnull=True).count()


@register.simple_tag(takes_context=True)
def trajectories_for(context: dict[str, Any], patient: Patient) -> list[Trajectory]:
    """The patient's score trajectories, for staff who may see self-report (never analysts)."""
    staff: Staff | None = getattr(context["request"], "staff", None)
    if staff is None or not staff.can(Perm.SELFREPORT_VIEW):
        return []
    return patient_trajectories(patient)
