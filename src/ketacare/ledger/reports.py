"""Ledger reports for a period: what was there at the start, what came and went by kind,
what was there at the end, and every count that disagreed with the balance. One
`Report` is built from the database, then written as CSV (every entry) or PDF (totals,
discrepancies and the entries, readable on paper for an inspector: report_pdf)."""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.pdf import person

from .models import Kind, LedgerEntry, StockItem, plain


@dataclass
class ItemPeriod:
    item: StockItem
    opening: Decimal
    closing: Decimal
    totals: dict[str, Decimal]
    entries: list[LedgerEntry]
    discrepancies: list[LedgerEntry] = field(default_factory=list)

    @property
    def total_rows(self) -> list[tuple[str, Decimal]]:
        return [(Kind(kind).label, total) for kind, total in self.totals.items()]

    @property
    def reconciles(self) -> bool:
        """Opening plus every delta in the period is the closing balance."""
        return self.opening + sum(self.totals.values(), Decimal(0)) == self.closing


@dataclass
class Report:
    clinic: Clinic
    start: date
    end: date
    items: list[ItemPeriod]
    generated_at: datetime
    generated_by: str

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.clinic.time_zone)

    def local(self, moment: datetime) -> datetime:
        return timezone.localtime(moment, self.zone)

    @property
    def discrepancy_count(self) -> int:
        return sum(len(p.discrepancies) for p in self.items)


def bounds(clinic: Clinic, start: date, end: date) -> tuple[datetime, datetime]:
    """The period as instants: midnight at the start of `start` to midnight after `end`,
    in the clinic's zone."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    return (datetime.combine(start, time.min, zone),
            datetime.combine(end + timedelta(days=1), time.min, zone))


def _balance_before(item: StockItem, moment: datetime) -> Decimal:
    last = (LedgerEntry.objects.filter(stock_item=item, recorded_at__lt=moment)
            .order_by("-seq").first())
    return last.balance_after if last else Decimal(0)


def build(clinic: Clinic, start: date, end: date, item: StockItem | None = None, *,
          generated_by: str = "") -> Report:
    since, until = bounds(clinic, start, end)
    items = [item] if item is not None else list(StockItem.objects.filter(clinic=clinic))
    periods = []
    for stock in items:
        assert stock.clinic_id == clinic.pk
        entries = list(
            LedgerEntry.objects.filter(stock_item=stock, recorded_at__gte=since,
                                       recorded_at__lt=until)
            .select_related("stock_item", "patient", "recorded_by", "witness", "reverses")
            .order_by("seq")
        )
        totals: dict[str, Decimal] = {}
        for entry in entries:
            if entry.kind != Kind.COUNT:
                totals[entry.kind] = totals.get(entry.kind, Decimal(0)) + entry.delta
        periods.append(ItemPeriod(
            item=stock, opening=_balance_before(stock, since),
            closing=_balance_before(stock, until), entries=entries,
            totals={k.value: totals[k.value] for k in Kind if k.value in totals},
            discrepancies=[e for e in entries if e.discrepancy],
        ))
    return Report(clinic=clinic, start=start, end=end, items=periods,
                  generated_at=timezone.now(), generated_by=generated_by)


def filename(report: Report, extension: str) -> str:
    return f"ledger-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{extension}"


# ---------------------------------------------------------------------------- CSV

CSV_COLUMNS = [
    "stock_item", "seq", "recorded_at", "kind", "unit", "delta", "delta_mg", "balance_after",
    "balance_after_mg", "counted", "discrepancy", "count_kind", "lot", "expiry", "vials",
    "supplier", "invoice", "counterparty", "patient_mrn", "session_ref", "witness",
    "method", "reason", "note", "reverses_seq", "recorded_by",
]


def _cell(text: str) -> str:
    """Free text that a spreadsheet would run as a formula is quoted."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for period in report.items:
        item = period.item
        for e in period.entries:
            counted, discrepancy = e.counted, e.discrepancy
            writer.writerow([
                _cell(item.label), e.seq, report.local(e.recorded_at).isoformat(),
                e.kind, item.unit_label, plain(e.delta), plain(e.delta * item.mg_per_unit),
                plain(e.balance_after), plain(e.balance_after * item.mg_per_unit),
                "" if counted is None else plain(counted),
                "" if discrepancy is None else plain(discrepancy), e.count_kind,
                _cell(e.lot), e.expiry.isoformat() if e.expiry else "", e.vials or "",
                _cell(e.supplier), _cell(e.invoice), _cell(e.counterparty),
                _cell(e.patient.mrn) if e.patient else "", e.session_ref or "",
                _cell(person(e.witness)), e.method, _cell(e.reason), _cell(e.note),
                e.reverses.seq if e.reverses else "", _cell(person(e.recorded_by)),
            ])
    return out.getvalue()
