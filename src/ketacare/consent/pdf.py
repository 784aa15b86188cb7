"""The signed consent as a PDF (fpdf2). Everything printed comes from the stored record and
the creation date is the signing time, so rendering the same record again gives the same
bytes: `check.verify` relies on that to show the stored PDF is the one that was signed."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.utils import timezone

from ketacare.pdf import latin1, person

from . import shipped
from .models import Consent, ConsentDocument

if TYPE_CHECKING:
    from fpdf import FPDF

# How the signature was made, as the PDF says it (a tablet consent's bytes never change).
CHANNELS = {"tablet": "on a tablet", "link": "through the patient's own secure link"}


def _document_text(pdf: FPDF, document: ConsentDocument) -> None:
    for heading, text in shipped.sections(document.body):
        pdf.set_font("Helvetica", "B", 10.5)
        pdf.multi_cell(0, 5.5, latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)


def render(consent: Consent) -> bytes:
    from fpdf import FPDF  # here: pages that never print do not load fpdf2

    document = consent.document
    patient = consent.patient
    clinic = patient.clinic
    signed = timezone.localtime(consent.signed_at, clinic.zone)
    pdf = FPDF(unit="mm", format="letter")
    pdf.set_compression(False)  # small, and the text stays searchable in the bytes
    pdf.set_creation_date(consent.signed_at)
    pdf.set_producer("KetaCare")
    pdf.set_title(f"Consent {consent.pk}")
    pdf.set_author("KetaCare")
    pdf.set_margins(18, 14, 18)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, latin1(document.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    pdf.set_text_color(70, 80, 92)
    pdf.multi_cell(0, 4.4, latin1(
        f"{clinic.name} - document {document.kind} version {document.version} - text SHA-256 "
        f"{consent.document_sha256}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    _document_text(pdf, document)

    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Signed", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    rows = [
        ("Patient", f"{patient.given_name} {patient.family_name}, born "
                    f"{patient.date_of_birth:%Y-%m-%d}, MRN {patient.mrn}"),
        ("Name typed by the patient", consent.typed_name),
        ("Date written by the patient", f"{consent.signed_on:%Y-%m-%d}"),
        ("Signed at", f"{signed:%Y-%m-%d %H:%M} ({clinic.time_zone}), "
                      f"{CHANNELS.get(consent.channel, consent.channel)}"),
        ("Presented by", person(consent.recorded_by)),
        ("Witness", person(consent.witness) if consent.witness else "not required"),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(52, 5.5, latin1(label))
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5.5, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Signature drawn by the patient:", new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(bytes(consent.signature_png)), w=80)
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 80, pdf.get_y())
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 7.5)
    pdf.set_text_color(90, 100, 110)
    pdf.multi_cell(0, 3.8, latin1(
        f"KetaCare consent record {consent.pk}. The clinic keeps this PDF unchanged with its "
        "SHA-256; `ketacare consent verify` checks it."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def filename(consent: Consent) -> str:
    """No patient name in the file name."""
    return f"consent-{consent.pk}.pdf"
