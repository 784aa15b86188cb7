"""Clinic-scoped access to ledger records: the only way views, API and CLI fetch them.
Another clinic's stock item or entry, or an id that does not exist, is the same 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.ids import int_id

from .models import LedgerEntry, StockItem


def stock_of(staff: Staff) -> QuerySet[StockItem]:
    staff.require(Perm.LEDGER_VIEW)
    return StockItem.objects.filter(clinic=staff.clinic)


def item_for(staff: Staff, item_id: object) -> StockItem:
    try:
        return stock_of(staff).get(pk=int_id(item_id))
    except (StockItem.DoesNotExist, ValueError):
        raise Http404("No such stock item") from None


def entry_for(staff: Staff, entry_id: object) -> LedgerEntry:
    staff.require(Perm.LEDGER_VIEW)
    try:
        return LedgerEntry.objects.select_related("stock_item").get(
            clinic=staff.clinic, pk=int_id(entry_id))
    except (LedgerEntry.DoesNotExist, ValueError):
        raise Http404("No such ledger entry") from None
