"""`{% consent_panel patient %}`: the chart's list of consents (one line in the chart);
`{% intake_answer patient code %}`: the intake answer beside a screening question."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from ketacare.patients.models import Patient

from ..intake import history_answers
from ..readmodels import chart_consents

register = template.Library()


@register.inclusion_tag("consent/_chart_panel.html")
def consent_panel(patient: Patient) -> dict[str, Any]:
    return {"patient": patient, "data": chart_consents(patient)}


@register.simple_tag(takes_context=True)
def intake_answer(context: template.Context, patient: Patient, code: str) -> str:
    """The patient's own intake answer to a screening question, shown beside it (one query
    per page: the answers are kept in the render context)."""
    cache = context.render_context
    if "intake_answers" not in cache:
        cache["intake_answers"] = history_answers(patient)
    answer = cache["intake_answers"].get(code)
    return format_html('<small class="intake-answer" data-testid="intake-answer">Patient\'s '
                       "intake answer: <strong>{}</strong></small>", answer) if answer else ""
