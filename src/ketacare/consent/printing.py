"""The education page and the aftercare sheet on paper (fpdf2), from the same read models
the web pages render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ketacare.pdf import latin1

from .aftercare import Sheet
from .readmodels import EducationPage

if TYPE_CHECKING:
    from fpdf import FPDF


def _pdf(title: str) -> FPDF:
    from fpdf import FPDF  # here: pages that never print do not load fpdf2

    pdf = FPDF(unit="mm", format="letter")
    pdf.set_compression(False)
    pdf.set_margins(18, 14, 18)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(title)
    pdf.set_author("KetaCare")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 7.5, latin1(title), new_x="LMARGIN", new_y="NEXT")
    return pdf


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11.5)
    pdf.multi_cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _para(pdf: FPDF, text: str, *, size: float = 10.5, bullet: bool = False) -> None:
    pdf.set_font("Helvetica", "", size)
    pdf.multi_cell(0, 5.3, latin1(("- " if bullet else "") + text), new_x="LMARGIN",
                   new_y="NEXT")


def _small(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "I", 7.5)
    pdf.set_text_color(90, 100, 110)
    pdf.multi_cell(0, 3.8, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def education_pdf(page: EducationPage) -> bytes:
    pdf = _pdf(f"{page.route_label}: what to expect")
    _small(pdf, f"{page.clinic.name} - patient information version {page.version}")
    for section in page.sections:
        _heading(pdf, section.heading)
        for paragraph in section.paragraphs:
            _para(pdf, paragraph)
        for source in section.sources:
            _small(pdf, f"Source: {source}")
    if page.timeline:
        _heading(pdf, "Your visit, step by step")
        for step in page.timeline:
            when = f"Minute {step.minute}: " if step.minute is not None else ""
            _para(pdf, when + step.text, bullet=True)
    if page.clinic_paragraph:
        _heading(pdf, f"From {page.clinic.name}")
        _para(pdf, page.clinic_paragraph)
    return bytes(pdf.output())


def aftercare_pdf(sheet: Sheet) -> bytes:
    pdf = _pdf(f"After your visit to {sheet.clinic_name}")
    _para(pdf, f"For {sheet.first_name}, visit on {sheet.session_day:%A %B %d, %Y}.")
    _heading(pdf, "For the rest of today")
    for rule in sheet.rules:
        _para(pdf, rule, bullet=True)
    _heading(pdf, "Normal in the next 24 hours")
    for item in sheet.normal:
        _para(pdf, item, bullet=True)
    _heading(pdf, "Call us if you have")
    for item in sheet.warnings:
        _para(pdf, item, bullet=True)
    _heading(pdf, "Phone numbers")
    _para(pdf, f"{sheet.clinic_name}: {sheet.phone or 'see your appointment card'}")
    _para(pdf, f"Crisis line: call or text {sheet.crisis_line}. Emergency: 911.")
    _heading(pdf, "What comes next")
    _para(pdf, "Next visit: " + (f"{sheet.next_session:%A %B %d}" if sheet.next_session
                                 else "we will call you to plan it."))
    _para(pdf, "Next questionnaire: " + (f"from {sheet.next_questionnaire:%A %B %d}"
                                         if sheet.next_questionnaire else "none due yet."))
    return bytes(pdf.output())
