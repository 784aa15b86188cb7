"""Consent documents (versioned per clinic), signed consents (immutable, with their PDF and
its SHA-256), the clinic's own paragraphs on the education pages, and the patient links of
intake and aftercare.

Nothing here is deleted or rewritten: a new document text is a new version; a consent is
withdrawn by recording who, when and why on it, and the signed PDF stays."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ConsentDocument(models.Model):
    """One version of a clinic's consent text for a set of routes."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)  # shipped.RACEMIC_KIND / ESKETAMINE_KIND
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    routes = models.JSONField()  # route keys (eligibility.ROUTES) this document covers
    requires_witness = models.BooleanField(default=True)
    # A material change asks every patient who signed an older version to sign again
    # before their next dose; a wording fix does not.
    material = models.BooleanField(default=True)
    change_note = models.CharField(max_length=300, blank=True)
    based_on = models.CharField(max_length=60, blank=True,
                                help_text="shipped template and version, e.g. ketamine_offlabel@1")
    text_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["clinic", "kind", "version"],
                                               name="one_consent_document_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @staticmethod
    def text_hash(title: str, body: str) -> str:
        return sha256(f"{title}\n\n{body}".encode())

    @property
    def text_intact(self) -> bool:
        return self.text_hash(self.title, self.body) == self.text_sha256


# When a consent last changed (its FHIR Consent's _lastUpdated): signed, or withdrawn. The
# order of a clinic-wide search, so indexed.
CONSENT_UPDATED = Coalesce("withdrawn_at", "signed_at")


class Consent(models.Model):
    """A patient's signature on one document version. Written once; only the withdrawal
    fields are ever set afterwards."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    document_version = models.PositiveIntegerField()
    document_sha256 = models.CharField(max_length=64)
    typed_name = models.CharField(max_length=200)
    signed_on = models.DateField()
    signature_png = models.BinaryField()
    signed_at = models.DateTimeField()
    channel = models.CharField(max_length=20, default="tablet")
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(CONSENT_UPDATED, name="consent_updated")]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.document.kind} v{self.document_version})"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class EducationParagraph(models.Model):
    """A clinic's own paragraph on one route's education page; each save is a new row, the
    newest is shown."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=20)
    text = models.TextField(max_length=2000)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.route} paragraph ({self.created_at:%Y-%m-%d})"


class Purpose(models.TextChoices):
    INTAKE = "intake", "Intake before the first visit"
    AFTERCARE = "aftercare", "Aftercare sheet"
    CONSENT = "consent", "Consent signed through the patient's link"


class PatientLink(models.Model):
    """A secret single-patient link (selfreport.tokens: only the token's SHA-256 is kept)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    session = models.ForeignKey("treatment.Session", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    # Consent: the route whose current document the patient reads and signs.
    route = models.CharField(max_length=20, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Intake: answers saved step by step; submitted_at closes the link (consent: signed).
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The order of a clinic-wide FHIR QuestionnaireResponse search.
        indexes = [models.Index(fields=["submitted_at"], name="link_submitted_at",
                                condition=models.Q(submitted_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.purpose} link {self.pk}"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at


class IntakeDecision(models.Model):
    """The clinician's answer to one proposed item of an intake: accepted into the chart
    (what was written, and where) or declined with a reason."""

    link = models.ForeignKey(PatientLink, on_delete=models.PROTECT, related_name="decisions")
    item = models.CharField(max_length=60)
    accepted = models.BooleanField()
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [models.UniqueConstraint(fields=["link", "item"],
                                               name="one_decision_per_intake_item")]

    def __str__(self) -> str:
        return f"{self.item}: {'accepted' if self.accepted else 'declined'}"
