"""Consent tests reuse the treatment fixtures (a clinic ready to treat) and add a drawn
signature: a real PNG with strokes, as signature_pad sends it."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageDraw

from ketacare.consent import actions as consent
from tests.treatment import conftest as treatment
from tests.treatment.conftest import next_monday, protocol

nurse, prescriber = treatment.nurse, treatment.prescriber
eligible_patient, stock = treatment.eligible_patient, treatment.stock


def signature_png(width: int = 400) -> bytes:
    image = Image.new("RGBA", (width, 150), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 100), (80, 40), (140, 110), (220, 50), (300, 95)], fill=(11, 31, 51, 255),
              width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def sign_for(staff, patient, route: str = "iv", **overrides):
    consent.ensure_documents(staff.clinic)
    document = consent.document_for_route(staff.clinic, route)
    kwargs = {"typed_name": "Jordan Rivera", "signed_on": staff.clinic.today(),
              "signature_png": signature_png(), "witnessed": True, **overrides}
    return consent.sign(staff, patient, document, **kwargs)


@pytest.fixture
def iv_course(prescriber, eligible_patient, clinic_a):
    from ketacare.treatment import actions

    return actions.start_course(prescriber, eligible_patient, protocol(clinic_a, "iv-induction"),
                                indication="TRD", start_date=next_monday(),
                                weekdays=frozenset({0, 2, 4}))
