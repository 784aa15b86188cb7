"""Lots on hand, for choosing the lot a dose is drawn from: every lot an item received
(receipts and transfers in), its expiry, and what is left of it by the ledger.

What is left of a lot is its receipts minus the entries posted against it (doses, waste
naming it, reversals), capped at the item's balance: adjustments and counts name no
lot, so per-lot figures are an estimate the balance bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum

from ketacare.accounts.models import Clinic

from .models import Kind, LedgerEntry, StockItem


@dataclass(frozen=True)
class Lot:
    item: StockItem
    lot: str
    expiry: date | None
    remaining: Decimal  # in the item's unit (mL or devices)

    @property
    def key(self) -> str:
        """The form value: item and lot, never patient data."""
        return f"{self.item.pk}|{self.lot}"

    def expired(self, today: date) -> bool:
        return self.expiry is not None and self.expiry < today

    @property
    def remaining_text(self) -> str:
        return self.item.text(self.remaining)

    def label(self) -> str:
        expiry = f"exp {self.expiry:%Y-%m-%d}" if self.expiry else "no expiry recorded"
        return f"{self.item} · lot {self.lot} · {expiry} · {self.remaining_text} left"


def on_hand(clinic: Clinic, drug: str) -> list[Lot]:
    """Lots of the clinic's stock of `drug` with something left, soonest expiry first: two
    queries however many items and lots (the items with their balances, then every lot's
    receipts and sum in one grouped read)."""
    latest = LedgerEntry.objects.filter(stock_item=OuterRef("pk")).order_by("-seq")
    items = {item.pk: item for item in StockItem.objects.filter(clinic=clinic, drug=drug)
             .annotate(_ml=Subquery(latest.values("balance_after_ml")[:1]),
                       _devices=Subquery(latest.values("balance_after_devices")[:1]))}
    received = Q(kind__in=(Kind.RECEIVE, Kind.TRANSFER_IN))
    rows = (LedgerEntry.objects.filter(stock_item__in=list(items)).exclude(lot="")
            .values("stock_item", "lot")
            .annotate(receipts=Count("pk", filter=received),
                      expiry=Max("expiry", filter=received),
                      ml=Sum("delta_ml"), devices=Sum("delta_devices"))
            .filter(receipts__gt=0))
    out: list[Lot] = []
    for row in rows:
        item = items[row["stock_item"]]
        # The running balance (as balance() reads it) and the lot's sum, in the item's unit.
        held, left = ((item._devices, row["devices"]) if item.is_device
                      else (item._ml, row["ml"]))
        remaining = min(Decimal(left or 0), Decimal(held or 0))
        if remaining > 0:
            out.append(Lot(item, row["lot"], row["expiry"], remaining))
    return sorted(out, key=lambda lot: (lot.expiry or date.max, lot.lot, lot.item.pk))


def lot_of(item: StockItem, lot: str) -> Lot | None:
    """The lot `lot` of `item` if the ledger has some of it on hand, else None."""
    return next((held for held in on_hand(item.clinic, item.drug)
                 if held.item.pk == item.pk and held.lot == lot.strip()), None)
