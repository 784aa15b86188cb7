"""Ledger reports for a period: what was there at the start, what came and went by kind,
what was there at the end, and every count that disagreed with the balance. One
`Report` is built from the database, then written as CSV (every entry) or PDF (totals,
discrepancies and the entries, readable on paper for an inspector)."""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from fpdf import FPDF

from ketacare.accounts.models import Clinic
from ketacare.pdf import latin1 as _latin1
from ketacare.pdf import person, table

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


# ---------------------------------------------------------------------------- PDF

class _PDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.report = report
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(_latin1(f"Controlled-substance ledger, {report.clinic.name}"))
        self.set_author("KetaCare")

    def header(self) -> None:
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 7, _latin1(f"Controlled-substance ledger - {self.report.clinic.name}"),
                  new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        r = self.report
        self.cell(0, 5, _latin1(
            f"Period {r.start:%Y-%m-%d} to {r.end:%Y-%m-%d} (times in {r.clinic.time_zone}). "
            f"Generated {r.local(r.generated_at):%Y-%m-%d %H:%M} by {r.generated_by}."),
            new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, size: int = 11) -> None:
        self.set_font("Helvetica", "B", size)
        self.cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def rows(self, rows: list[list[str]], widths: tuple[float, ...],
             align: str = "LEFT") -> None:
        table(self, rows, widths, width=sum(widths), align=align, text_align="LEFT",
              line_height=4.6, padding=1)
        self.ln(3)


def _amount(item: StockItem, value: Decimal) -> str:
    return f"{plain(value)} {item.unit_label}"


def _mg(item: StockItem, value: Decimal) -> str:
    return f"{plain(value * item.mg_per_unit)} mg"


def to_pdf(report: Report) -> bytes:
    pdf = _PDF(report)
    pdf.alias_nb_pages()
    pdf.add_page()
    if not report.items:
        pdf.heading("No stock items in this clinic.")
    if report.discrepancy_count:
        pdf.set_text_color(163, 16, 44)
        pdf.heading(f"{report.discrepancy_count} inventory count(s) in this period disagree "
                    "with the balance: see each item.", size=10)
        pdf.set_text_color(0, 0, 0)
    for number, period in enumerate(report.items):
        item = period.item
        if number:
            pdf.add_page()
        pdf.heading(f"{item.label} - {item.get_drug_display()}, {item.strength}")
        summary = [["", item.unit_label, "mg"],
                   ["Opening balance", _amount(item, period.opening), _mg(item, period.opening)]]
        for kind in Kind:
            if kind.value in period.totals:
                total = period.totals[kind.value]
                summary.append([f"Total {kind.label.lower()}", _amount(item, total),
                                _mg(item, total)])
        summary.append(["Closing balance", _amount(item, period.closing),
                        _mg(item, period.closing)])
        summary.append(["Opening + movements = closing",
                        "yes" if period.reconciles else "NO - investigate", ""])
        pdf.rows(summary, (70, 45, 45), align="LEFT")

        if period.discrepancies:
            pdf.set_text_color(163, 16, 44)
            pdf.heading("Count discrepancies", size=10)
            pdf.set_text_color(0, 0, 0)
            rows = [["When", "Kind", "Counted", "Balance", "Difference", "Counted by",
                     "Witness"]]
            for e in period.discrepancies:
                rows.append([
                    f"{report.local(e.recorded_at):%Y-%m-%d %H:%M}", e.get_count_kind_display(),
                    _amount(item, e.counted or Decimal(0)), _amount(item, e.balance_after),
                    _amount(item, e.discrepancy or Decimal(0)), person(e.recorded_by),
                    person(e.witness),
                ])
            pdf.rows(rows, (32, 34, 32, 32, 32, 50, 50))

        pdf.heading(f"Entries ({len(period.entries)})", size=10)
        if not period.entries:
            pdf.cell(0, 6, "No entries in this period.", new_x="LMARGIN", new_y="NEXT")
            continue
        rows = [["#", "When", "Kind", f"Change ({item.unit_label})", "mg",
                 f"Balance ({item.unit_label})", "Lot", "Patient MRN / session",
                 "Recorded by", "Witness", "Details"]]
        for e in period.entries:
            detail = "; ".join([
                *([f"counted {plain(e.counted)}"] if e.counted is not None else []),
                *([f"expiry {e.expiry:%Y-%m-%d}"] if e.expiry else []),
                *e.facts(),
            ])
            who = " / ".join(x for x in (e.patient.mrn if e.patient else "",
                                         f"session {e.session_ref}" if e.session_ref else "")
                             if x)
            rows.append([
                str(e.seq), f"{report.local(e.recorded_at):%Y-%m-%d %H:%M}", e.get_kind_display(),
                "" if e.kind == Kind.COUNT else plain(e.delta),
                "" if e.kind == Kind.COUNT else plain(e.delta_mg), plain(e.balance_after),
                e.lot, who, person(e.recorded_by), person(e.witness), detail,
            ])
        pdf.rows(rows, (9, 26, 24, 20, 17, 20, 22, 30, 30, 30, 41))
    return bytes(pdf.output())
