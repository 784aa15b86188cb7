"""The ledger report on paper (fpdf2): totals, discrepancies and the entries, readable for
an inspector. Apart from `reports` so that pages and commands that never print do not load
fpdf2."""

from __future__ import annotations

from decimal import Decimal

from fpdf import FPDF

from ketacare.pdf import latin1 as _latin1
from ketacare.pdf import person, table

from .models import Kind, StockItem, plain
from .reports import Report


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
