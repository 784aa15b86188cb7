"""`{% consent_panel patient %}`: the chart's list of consents (one line in the chart)."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.patients.models import Patient

from ..readmodels import chart_consents

register = template.Library()


@register.inclusion_tag("consent/_chart_panel.html")
def consent_panel(patient: Patient) -> dict[str, Any]:
    return {"patient": patient, "data": chart_consents(patient)}
