from typing import Any

from django import template

from ketacare.analytics.suppression import rate_words as _rate_words
from ketacare.clinical.instruments import InstrumentInputError
from ketacare.clinical.instruments import get as get_instrument
from ketacare.patients.models import Condition
from ketacare.pdf import person as _person

register = template.Library()


@register.filter
def words(code: str) -> str:
    """snake_case code to a readable label: "moderately_severe" -> "Moderately severe"."""
    return str(code).replace("_", " ").capitalize()


@register.filter
def person(user: Any) -> str:
    """A member of staff as the note names them: full name, else the username."""
    return _person(user)


@register.filter
def people(users: Any) -> str:
    return ", ".join(_person(u) for u in users)


@register.filter
def split(text: str) -> list[str]:
    return str(text).split()


@register.filter
def field(form: object, name: str) -> object:
    """A bound field by name: {{ form|field:"weight_kg" }}."""
    return form[name]  # type: ignore[index]


@register.filter
def instrument_name(instrument_id: str) -> str:
    """"phq9" -> "PHQ-9"; an unknown id is shown as it is."""
    try:
        return get_instrument(instrument_id).short_name
    except InstrumentInputError:
        return instrument_id


@register.filter
def condition_name(code: str) -> str:
    """"ptsd" -> "PTSD", "all" -> "All conditions"."""
    if code == "all":
        return "All conditions"
    if code == "unspecified":
        return "Not recorded"
    return str(dict(Condition.choices).get(code, code or "Not recorded"))


@register.filter
def rate_words(rate: dict[str, Any]) -> str:
    """A suppressed dashboard rate in words: "fewer than 5 of 9"."""
    return _rate_words(rate)


@register.simple_tag
def session_alert_count(staff: Any) -> int:
    """Unacknowledged session-day alerts addressed to this prescriber (nav badge)."""
    from ketacare.treatment.models import ClinicalAlert

    if staff is None:
        return 0
    return ClinicalAlert.objects.filter(
        recipients=staff.user, acknowledged_at__isnull=True,
        session__course__patient__clinic=staff.clinic).count()
