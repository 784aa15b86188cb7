"""Demo data: every treated patient of the demo clinic signs the consent of their course's
route (through the real action, so the PDF, hash and audit entry are real), and one patient
not yet in treatment gets an open intake link, printed so a demo user can open it.
Idempotent: patients with a consent are left alone; a second run adds no intake link while
one is open."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from django.utils import timezone

from ketacare.accounts.staff import Staff
from ketacare.consent import actions, intake, links
from ketacare.consent.models import Consent, PatientLink
from ketacare.patients.models import Patient
from ketacare.treatment.models import Course


def drawn_signature(seed: str) -> bytes:
    """A finger-drawn looking squiggle, the same for the same seed."""
    from PIL import Image, ImageDraw  # when drawing: `ketacare help demo` does not need it

    rng = random.Random(seed)  # noqa: S311 (a drawing, not a secret)
    image = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 28, 95 + rng.randint(-38, 30)) for i in range(15)]
    draw.line(points, fill=(11, 31, 51, 255), width=3, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def populate(nurse: Staff, write: Callable[[str], object]) -> int:
    clinic = nurse.clinic
    actions.ensure_documents(clinic)
    signed = 0
    courses = (Course.objects.filter(patient__clinic=clinic)
               .select_related("patient").order_by("patient__mrn", "start_date"))
    for course in courses:
        patient = course.patient
        route = course.protocol().route
        if actions.status_for(patient, route).ok:
            continue
        document = actions.document_for_route(clinic, route)
        assert document is not None
        actions.sign(nurse, patient, document,
                     typed_name=f"{patient.given_name} {patient.family_name}",
                     signed_on=clinic.today(), signature_png=drawn_signature(patient.mrn),
                     witnessed=True)
        signed += 1
    write(f"  Consents signed now: {signed} "
          f"({Consent.objects.filter(patient__clinic=clinic).count()} in the clinic)")
    open_links = PatientLink.objects.filter(clinic=clinic, purpose="intake",
                                            submitted_at__isnull=True,
                                            expires_at__gt=timezone.now())
    if not open_links.exists():
        candidate = (Patient.objects.filter(clinic=clinic, courses__isnull=True)
                     .order_by("status", "mrn").first())
        if candidate is not None:
            _, token = intake.start(nurse, candidate)
            write(f"  Intake link for {candidate.mrn} (open it on a phone): "
                  f"{links.url(token)}")
    return signed
