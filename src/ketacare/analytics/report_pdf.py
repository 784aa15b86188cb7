"""The outcome report on paper (fpdf2, landscape A4): provenance, the definitions, a table
per instrument, the time-to-response and retention charts (the dashboard's own Altair
definitions, as PNG) and the published benchmarks beside them, so like is compared with
like. Aggregates only, as the report itself."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from ketacare.charts import png
from ketacare.charts.outcomes import funnel_chart, km_chart
from ketacare.clinical.instruments import short_name as instrument_name
from ketacare.patients.models import condition_name
from ketacare.pdf import image_height, latin1, table

from .published import BENCHMARKS
from .suppression import rate_words

FONT = "Helvetica"
TOTAL = FontFace(emphasis="BOLD")
MUTED = (90, 100, 110)
# PHQ-9 first (what most series report), the other depression scales, then anxiety and
# PTSD; anything else after them by id.
ORDER = ("phq9", "qids-sr16", "madrs", "gad7", "pcl5")
# Column headings break where written ("\n"), never inside a phrase.
RATES = (
    ("rapid_response", "Rapid response\n(12-36 h)"),
    ("post_induction_response", "Response,\nday 14-31"),
    ("post_induction_partial", "Partial response,\nday 14-31"),
    ("post_induction_remission", "Remission,\nday 14-31"),
    ("sustained_response_4w", "Sustained response,\n4 weeks"),
    ("sustained_response_8w", "Sustained response,\n8 weeks"),
)
DEFINITION_LABELS = {
    "unit": "Unit of analysis",
    "baseline": "Baseline",
    "clinical_range_min": "In clinical range (baseline at least)",
    "rapid_response": "Rapid response",
    "post_induction": "Post-induction",
    "rates": "Rates",
    "sustained": "Sustained response",
    "dropout": "Dropout",
    "km": "Time to response",
    "retention": "Retention",
}
CHECK_NOTE = "[check]: a figure still to be verified against the primary source."
LIKE_WITH_LIKE = ("Compare like with like: the design, N, instrument and time point differ "
                  "between studies and from a clinic's own series.")


def rate_text(rate: dict[str, Any]) -> str:
    """The rate, its 95% Wilson interval and k/n, e.g. "52.1% (48.0-56.2) 240/461", or a
    suppressed cell's words ("fewer than 5 of 9")."""
    if rate.get("fewer_than"):
        return rate_words(rate)
    if not rate["n"] or rate["rate"] is None:
        return "n = 0"
    return (f"{rate['rate'] * 100:.1f}% ({rate['ci95_low'] * 100:.1f}-"
            f"{rate['ci95_high'] * 100:.1f}) {rate['k']}/{rate['n']}")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _km_median(row: dict[str, Any]) -> str:
    if row["km_median_days_to_response"] is not None:
        return _number(row["km_median_days_to_response"])
    if row.get("km_cut"):  # the curve was cut short (suppression.suppress_km)
        return "withheld"
    return "not reached" if row["km"] else "-"


def _moment(iso: str | None) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def chart_height(png: bytes | None, w: float) -> float:
    """The height in mm of a PNG drawn `w` mm wide (10 mm for the "no chart" line)."""
    return 10 if png is None else image_height(png, w)


class _PDF(FPDF):
    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.doc_title = latin1(title)
        self.subtitle = latin1(subtitle)
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=True, margin=13)
        self.set_title(self.doc_title)
        self.set_author("KetaCare")
        self.alias_nb_pages()

    @property
    def usable(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.doc_title} - {self.subtitle}", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(self.usable / 2, 5, "KetaCare outcome report: aggregates only")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 11, keep: float = 30) -> None:
        """A heading that is not left alone at the foot of a page: `keep` mm must follow."""
        if self.will_page_break(7 + keep):
            self.add_page()
        self.ln(1.5)
        self.set_font(FONT, "B", size)
        self.cell(0, 6.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8.5)

    def note(self, text: str, size: float = 8) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 3.8, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def fitted_widths(self, rows: Sequence[Sequence[str]], header: Sequence[str],
                      wraps: Sequence[bool],
                      sizes: Sequence[float] = (8, 7.5, 7, 6.5)) -> tuple[float, list[float]]:
        """The largest font size at which every cell fits on one line (headings on the
        lines they are written in), and column widths that fill the page at that size.
        When nothing fits even at the smallest size, only the `wraps` columns give up
        width (their cells wrap); the others keep theirs."""
        pad = 2.4
        widths: list[float] = []
        for size in sizes:
            self.set_font(FONT, "B", size)  # the bold total row is the widest
            widths = [
                max([self.get_string_width(r[i]) for r in rows]
                    + [self.get_string_width(line) for line in header[i].split("\n")]) + pad
                for i in range(len(header))
            ]
            if sum(widths) <= self.usable:
                scale = (self.usable - 0.01) / sum(widths)
                return size, [w * scale for w in widths]
        fixed = sum(w for w, wrap in zip(widths, wraps, strict=True) if not wrap)
        scale = (self.usable - 0.01 - fixed) / sum(w for w, wrap in zip(widths, wraps,
                                                                        strict=True) if wrap)
        return size, [w * scale if wrap else w for w, wrap in zip(widths, wraps, strict=True)]

    def grid(self, rows: Sequence[Sequence[str]], widths: Sequence[float], size: float, *,
             text_align: str | tuple[str, ...] = "LEFT",
             styles: Sequence[FontFace | None] = (), center: bool = False) -> None:
        table(self, rows, widths, size=size, styles=styles, center_heading=center,
              width=min(sum(widths), self.epw), align="LEFT", text_align=text_align,
              line_height=size * 0.5, padding=(0.8, 1.2))
        self.ln(2)

    def chart(self, png: bytes | None, x: float, y: float, w: float, missing: str) -> float:
        """Draw a chart at (x, y), `w` mm wide; returns its height."""
        if png is None:
            self.set_xy(x, y)
            self.set_font(FONT, "", 9)
            self.multi_cell(w, 5, latin1(missing), align="L")
            return 10
        h = chart_height(png, w)
        self.image(io.BytesIO(png), x=x, y=y, w=w, h=h)
        return h


def _instruments(rows: list[dict[str, Any]]) -> list[str]:
    seen = list(dict.fromkeys(r["instrument"] for r in rows))
    return sorted(seen, key=lambda i: (ORDER.index(i) if i in ORDER else len(ORDER), i))


def _definitions(pdf: _PDF, definitions: dict[str, Any]) -> None:
    if not definitions:
        return
    pdf.heading("Definitions", keep=40)
    rows = [["Term", "Definition"]]
    for key, value in definitions.items():
        if isinstance(value, dict):
            value = ", ".join(f"{instrument_name(k)} {v}" for k, v in value.items())
        rows.append([DEFINITION_LABELS.get(key, key.replace("_", " ").capitalize()),
                     str(value)])
    pdf.grid(rows, (52, pdf.usable - 52), 8)


HEADER = ["Condition", "In clinical\nrange", *(label for _, label in RATES),
          "Median sessions\nto response", "KM median days\nto response",
          "Dropout before\nsession 6"]


def _body(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [condition_name(r["condition"]), str(r["n_clinical_range"]),
         *(rate_text(r[key]) for key, _ in RATES),
         _number(r["median_sessions_to_response"]), _km_median(r),
         rate_text(r["dropout_before_session_6"])]
        for r in rows
    ]


def _rates(pdf: _PDF, rows: list[dict[str, Any]]) -> None:
    """A table per instrument, one row per condition ("All conditions" last, in bold); one
    font size and one set of column widths for all of them, so they read as one."""
    wraps = [False, False, *[True] * len(RATES), False, False, True]  # the rate columns
    size, widths = pdf.fitted_widths(_body(rows), HEADER, wraps)
    for instrument in _instruments(rows):
        ordered = sorted((r for r in rows if r["instrument"] == instrument),
                         key=lambda r: (r["condition"] == "all", r["condition"]))
        body = _body(ordered)
        pdf.heading(instrument_name(instrument), keep=12 + 5 * len(body))
        styles = [None, *(TOTAL if r["condition"] == "all" else None for r in ordered)]
        pdf.grid([HEADER, *body], widths, size,
                 text_align=("LEFT", *["RIGHT"] * (len(HEADER) - 1)), styles=styles,
                 center=True)


def _charts(pdf: _PDF, report: dict[str, Any]) -> None:
    funnel_entry = next((f for f in report.get("retention", []) if f["condition"] == "all"),
                        None)
    km_png = png(km_chart, report["rows"])
    funnel_png = png(funnel_chart, funnel_entry) if funnel_entry else None
    gap = 8
    w = (pdf.usable - gap) / 2
    # Both charts side by side, with their titles, on one page: after the tables if they
    # fit, else on the next page.
    if pdf.will_page_break(24 + max(chart_height(km_png, w), chart_height(funnel_png, w))):
        pdf.add_page()
    else:
        pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(w, 6.5, "Time to first response (Kaplan-Meier)")
    pdf.set_x(pdf.l_margin + w + gap)
    pdf.cell(w, 6.5, "Retention", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    top = pdf.get_y()
    km_note, funnel_note = report.get("km_note"), report.get("funnel_note")
    pdf.multi_cell(w, 3.8, latin1(" ".join(filter(None, (
        "Cumulative share responded by day from the first session, all conditions, one "
        "line per instrument.", km_note if km_png else None)))), align="L")
    left = pdf.get_y()
    pdf.set_xy(pdf.l_margin + w + gap, top)
    counted = report.get("definitions", {}).get("retention", "index courses reaching "
                                                  "session k")
    pdf.multi_cell(w, 3.8, latin1(" ".join(filter(None, (
        f"All conditions: {counted}.", funnel_note if funnel_png else None)))), align="L")
    pdf.set_text_color(0, 0, 0)
    y = max(left, pdf.get_y()) + 2
    h1 = pdf.chart(km_png, pdf.l_margin, y, w,
                   km_note or "No patient has a follow-up assessment yet.")
    h2 = pdf.chart(funnel_png, pdf.l_margin + w + gap, y, w,
                   funnel_note or "No course has been followed long enough yet.")
    pdf.set_xy(pdf.l_margin, y + max(h1, h2) + 4)


def _benchmarks(pdf: _PDF) -> None:
    # Kept whole on a page when it fits one (about 6 mm a row).
    pdf.heading("Published benchmarks", keep=min(150, 12 + 6 * (len(BENCHMARKS) + 1)))
    pdf.note(LIKE_WITH_LIKE)
    pdf.ln(1)
    rows = [["Study", "Design", "N", "Instrument", "Time point", "Result"]]
    for b in BENCHMARKS:
        rows.append([b.study + (" [check]" if b.check else ""), b.design, str(b.n),
                     b.instrument, b.timepoint, b.result])
    widths = (70, 58, 12, 26, 30)
    pdf.grid(rows, (*widths, pdf.usable - sum(widths)), 8,
             text_align=("LEFT", "LEFT", "RIGHT", "LEFT", "LEFT", "LEFT"))
    pdf.note(CHECK_NOTE)


def report_pdf(report: dict[str, Any], *, title: str,
               generated_at: datetime | None = None) -> bytes:
    """The report (run.run_report's dict) as a PDF."""
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    subtitle = (f"engine {report.get('engine', '-')}, data until "
                f"{_moment(report.get('data_until'))}")
    pdf = _PDF(title, subtitle)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, pdf.doc_title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9.5)
    pdf.cell(0, 5, latin1(
        f"Engine: {report.get('engine', '-')}    Data until: "
        f"{_moment(report.get('data_until'))}    Generated: "
        f"{generated:%Y-%m-%d %H:%M} UTC"), new_x="LMARGIN", new_y="NEXT")
    if report.get("source"):
        pdf.multi_cell(0, 5, latin1(f"Source: {report['source']}"), align="L",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.note("A rate reads: rate (95% Wilson interval) k/n, n as defined below. Sessions to "
             "response: median among responders; days to response: Kaplan-Meier median.")
    _definitions(pdf, report.get("definitions", {}))
    rows = report["rows"]
    if not rows:
        pdf.heading("Rates by instrument and condition")
        pdf.note("Not enough treated patients with baseline and follow-up scores yet.")
    else:
        _rates(pdf, rows)
    _charts(pdf, report)
    _benchmarks(pdf)
    return bytes(pdf.output())
