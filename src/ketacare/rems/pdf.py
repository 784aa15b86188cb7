"""The REMS form on one printable page (fpdf2): every field, the site, amendments, and a
signature line. It mirrors the fields of the Spravato REMS Patient Monitoring Form; it is
not the REMS program's form and is not a submission."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from fpdf import FPDF

from ketacare.pdf import latin1 as _latin1
from ketacare.pdf import person

from . import fields
from .models import RemsForm, due_date
from .prefill import local, treatment_date


class _PDF(FPDF):
    def line_pair(self, label: str, value: str, *, amended: bool = False) -> None:
        # Row height fits the 2024 form's fields on one page (issue 14 item 7).
        label_w, row_h = 92, 3.9
        y = self.get_y()
        self.set_font("Helvetica", "", 8.5)
        self.set_text_color(70, 80, 92)
        self.multi_cell(label_w, row_h, _latin1(label), new_x="LMARGIN", new_y="NEXT")
        label_end = self.get_y()
        self.set_xy(self.l_margin + label_w, y)
        self.set_text_color(0, 0, 0)
        self.set_font("Helvetica", "B", 9)
        text = (value or "-") + (" (amended)" if amended else "")
        self.multi_cell(0, row_h, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), label_end))
        self.set_draw_color(220, 226, 232)
        self.line(self.l_margin, self.get_y() + 0.2, self.w - self.r_margin, self.get_y() + 0.2)
        self.ln(0.5)

    def heading(self, text: str) -> None:
        self.ln(1.5)
        self.set_font("Helvetica", "B", 10)
        self.set_fill_color(225, 232, 238)
        self.cell(0, 5.6, _latin1(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(0.6)


def render(form: RemsForm, *, generated_by: str, now: datetime | None = None) -> bytes:
    session = form.session
    clinic = session.course.patient.clinic
    values: dict[str, Any] = form.effective() if form.locked else dict(form.data)
    amended = {a.field for a in form.amendments.all()} if form.locked else set()
    pdf = _PDF(unit="mm", format="letter")
    # Uncompressed: the page is small, and the text stays searchable in the bytes.
    pdf.set_compression(False)
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.set_title(f"REMS monitoring form, session {session.pk}")
    pdf.set_author("KetaCare")
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, "Spravato REMS Patient Monitoring Form - clinic record",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    day = treatment_date(session)
    status = ("Signed" if form.locked else
              "DRAFT - not signed" + ("" if form.completed else ", incomplete"))
    pdf.cell(0, 4.6, _latin1(
        f"{clinic.name} - MRN {session.course.patient.mrn} - session {session.pk} - "
        f"treatment {day:%Y-%m-%d}, due "
        f"{due_date(day):%Y-%m-%d} - {status}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255, 240, 214)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, _latin1(fields.NOTE), fill=True, new_x="LMARGIN", new_y="NEXT")

    for section in fields.SECTIONS:
        pdf.heading(section)
        for spec in fields.FIELDS:
            if spec.section != section or not fields.asked(spec, values):
                continue
            pdf.line_pair(spec.label, spec.display(values.get(spec.key)),
                          amended=spec.key in amended)

    if form.locked:
        amendments = list(form.amendments.select_related("author"))
        if amendments:
            pdf.heading("Amendments after signing")
            for a in amendments:
                pdf.line_pair(
                    f"{local(session, a.created_at):%Y-%m-%d %H:%M} {person(a.author)}",
                    f"{a.label}: {a.shown(a.old_value) or '-'} -> {a.shown(a.new_value)}. "
                    f"Reason: {a.reason}")

    pdf.ln(4)
    pdf.set_font("Helvetica", "", 9.5)
    if form.locked and form.signed_at is not None:
        signed = local(session, form.signed_at)
        who = person(form.signed_by)
        role = f" ({form.signed_role})" if form.signed_role else ""
        pdf.cell(0, 5, _latin1(f"Signed electronically by {who}{role} on "
                               f"{signed:%Y-%m-%d %H:%M} ({clinic.time_zone})"),
                 new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 5, "Not signed.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, y, pdf.l_margin + 95, y)
    pdf.line(pdf.l_margin + 110, y, pdf.w - pdf.r_margin, y)
    pdf.set_font("Helvetica", "", 7.5)
    pdf.cell(110, 4, "Signature of the monitoring healthcare provider")
    pdf.cell(0, 4, "Date", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    moment = local(session, now or timezone.now())
    pdf.set_text_color(90, 100, 110)
    pdf.cell(0, 4, _latin1(f"Printed {moment:%Y-%m-%d %H:%M} by {generated_by} from KetaCare "
                           f"(form version {form.version})."),
             new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def filename(form: RemsForm) -> str:
    """No patient name: the session id only."""
    return f"rems-session-{form.session_id}.pdf"
