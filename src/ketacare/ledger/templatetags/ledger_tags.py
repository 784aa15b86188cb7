"""Amounts on the ledger pages, in the item's unit with mg: `{{ value|amount:item }}`."""

from __future__ import annotations

from decimal import Decimal

from django import template

from ketacare.ledger.models import StockItem, plain

register = template.Library()


@register.filter
def amount(value: Decimal | int | None, item: StockItem) -> str:
    return item.text(value)


@register.filter
def signed(value: Decimal | int | None, item: StockItem) -> str:
    """A delta with its sign: "+10 mL (500 mg)", "-0.7 mL (-35 mg)"."""
    if value is None:
        return ""
    text = item.text(value)
    return text if Decimal(value) < 0 else f"+{text}"


@register.filter
def number(value: Decimal | int | None) -> str:
    return "" if value is None else plain(value)


@register.filter
def mg(value: Decimal | int | None, item: StockItem) -> str:
    return "" if value is None else f"{plain(Decimal(value) * item.mg_per_unit)} mg"


@register.filter
def get_errors(errors: dict[int, list[str]], key: int) -> list[str]:
    return errors.get(key, [])
