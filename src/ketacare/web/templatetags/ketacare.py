from typing import Any

from django import template
from django.forms import BaseForm
from django.utils.safestring import SafeString

from ketacare.analytics.suppression import rate_words as _rate_words
from ketacare.clinical.instruments import short_name
from ketacare.page_forms import fields_html
from ketacare.patients.models import condition_name
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


@register.simple_tag
def form_fields(form: BaseForm, template_name: str) -> SafeString:
    """A form's fields as `template_name` renders them (given {"form": form}); a blank
    form whose class is `page_forms.StaticBlank` is rendered once per worker."""
    return fields_html(form, template_name)


register.filter("instrument_name", short_name)
register.filter("condition_name", condition_name)


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
