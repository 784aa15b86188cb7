"""Clinic-scoped access to ledger records: the only way views, API and CLI fetch them.
Another clinic's stock item or entry, or an id that does not exist, is the same 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.ids import int_id

from .models import LedgerEntry, StockItem


def stock_of(staff: Staff) -> QuerySet[StockItem]:
    staff.require(Perm.LEDGER_VIEW)
    return StockItem.objects.filter(clinic=staff.clinic)


def entries_of(staff: Staff) -> QuerySet[LedgerEntry]:
    staff.require(Perm.LEDGER_VIEW)
    return LedgerEntry.objects.filter(clinic=staff.clinic)


def item_for(staff: Staff, item_id: object) -> StockItem:
    try:
        return stock_of(staff).get(pk=int_id(item_id))
    except (StockItem.DoesNotExist, ValueError):
        raise Http404("No such stock item") from None


def entry_for(staff: Staff, entry_id: object, *, write: bool = False,
              request: HttpRequest | None = None,
              detail: dict[str, Any] | None = None) -> LedgerEntry:
    """A read is audited unless the caller is about to write (the action audits)."""
    try:
        entry = entries_of(staff).select_related("stock_item").get(pk=int_id(entry_id))
    except (LedgerEntry.DoesNotExist, ValueError):
        raise Http404("No such ledger entry") from None
    if not write:
        record(Action.VIEW, request=request, user=staff.user, role=staff.role_label,
               clinic_id=staff.clinic.pk, patient_id=entry.patient_id, obj=entry,
               detail=detail)
    return entry
