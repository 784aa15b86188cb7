"""`{% open_alert_count request.staff %}` for the nav badge: one COUNT query."""

from __future__ import annotations

from django import template

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff

from ..models import Alert

register = template.Library()


@register.simple_tag
def open_alert_count(staff: Staff | None) -> int:
    if staff is None or not staff.can(Perm.SELFREPORT_VIEW):
        return 0
    return Alert.objects.filter(clinic=staff.clinic, acknowledged_at__isnull=True).count()


@register.filter
def instrument_name(instrument_id: str) -> str:
    from ketacare.clinical.instruments import InstrumentInputError, get

    try:
        return get(instrument_id).short_name
    except InstrumentInputError:
        return instrument_id
