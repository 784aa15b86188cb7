"""Staff pages: take a consent on a tablet, the stored PDF, withdraw, the clinic's consent
documents, the intake link and its review, the aftercare sheet. Thin over `actions`,
`intake` and `readmodels`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.audit.log import record, record_patient
from ketacare.audit.models import Action
from ketacare.clinical.eligibility import ROUTES
from ketacare.patients.access import patient_for
from ketacare.treatment.access import session_for

from . import actions, aftercare, intake, links, pdf, printing, shipped
from .models import ConsentDocument, EducationParagraph
from .readmodels import chart_consents, consent_for, intake_for


def _pdf_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def form_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Messages by field; the non-field ones under "all" (templates cannot read "__all__")."""
    found = exc.message_dict if hasattr(exc, "error_dict") else {"all": exc.messages}
    return {("all" if k == "__all__" else k): v for k, v in found.items()}


def form_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@requires(Perm.EDIT_PATIENT)
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, patient_id: str, route: str) -> HttpResponse:
    """The tablet page: the document, the education link, a drawn signature, typed name
    and date, and the witness's confirmation."""
    staff = staff_of(request)
    if route not in ROUTES:
        raise Http404("No such route")
    patient = patient_for(staff, patient_id, write=request.method == "POST", request=request)
    document = actions.document_for_route(staff.clinic, route)
    if document is None:  # the message says where an admin installs them
        messages.error(request, actions.status_for(patient, route).message)
        return redirect(reverse("consent-patient", args=[patient.pk]))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            document_id = int(request.POST.get("document", "0"))
        except ValueError:
            document_id = 0
        posted = ConsentDocument.objects.filter(pk=document_id, clinic=staff.clinic).first()
        try:
            png = actions.signature_from_data_url(request.POST.get("signature", ""))
            consent = actions.sign(
                staff, patient, posted or document,
                typed_name=request.POST.get("typed_name", ""),
                signed_on=form_date(request.POST.get("signed_on", "")), signature_png=png,
                witnessed=request.POST.get("witnessed") == "on", request=request)
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, f"Consent signed and stored (SHA-256 "
                                      f"{consent.pdf_sha256[:12]}...).")
            return redirect(reverse("consent-patient", args=[patient.pk]))
    return render(request, "consent/sign.html", {
        "patient": patient, "document": document, "route": route,
        "route_label": ROUTES[route], "sections": shipped.sections(document.body),
        "errors": errors, "posted": request.POST, "today": staff.clinic.today(),
    }, status=422 if errors else 200)


@requires(Perm.EDIT_PATIENT)
@require_POST
def sign_link(request: HttpRequest, patient_id: str, route: str) -> HttpResponse:
    """A secure link for the patient to read and sign on their own device."""
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True, request=request)
    try:
        link, token = actions.issue_link(staff, patient, route, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("consent-patient", args=[patient.pk]))
    # The link exists only now: shown once to copy or hand over, never stored.
    return render(request, "consent/sign_link_started.html", {
        "patient": patient, "link": link, "url": links.url(token),
        "route_label": ROUTES.get(route, route)})


@requires(Perm.VIEW_CHART)
@require_GET
def patient_consents(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, request=request, audit_as="consents")
    return render(request, "consent/patient.html", {
        "patient": patient, "data": chart_consents(patient, page=True),
        "can_edit": staff.can(Perm.EDIT_PATIENT),
        "can_intake": staff.can(Perm.SELFREPORT_MANAGE),
        "routes": ROUTES,
    })


@requires(Perm.VIEW_CHART)
@require_GET
def consent_pdf(request: HttpRequest, consent_id: str) -> HttpResponse:
    consent = consent_for(staff_of(request), consent_id, request=request)
    return _pdf_response(bytes(consent.pdf), pdf.filename(consent))


@requires(Perm.EDIT_PATIENT)
@require_POST
def withdraw(request: HttpRequest, consent_id: str) -> HttpResponse:
    staff = staff_of(request)
    consent = consent_for(staff, consent_id, write=True)
    try:
        actions.withdraw(staff, consent, reason=request.POST.get("reason", ""), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Consent withdrawn: no further doses until a new consent.")
    return redirect(reverse("consent-patient", args=[consent.patient_id]))


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest) -> HttpResponse:
    """The clinic's consent documents, every version; admins publish a new one here."""
    staff = staff_of(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and "install" in request.POST:
        installed = actions.install_documents(staff, request=request)
        messages.success(request, f"Installed {installed} shipped consent document"
                                  f"{'' if installed == 1 else 's'}.")
        return redirect("consent-documents")
    if request.method == "POST":
        try:
            document = actions.publish_version(
                staff, request.POST.get("kind", ""), title=request.POST.get("title", ""),
                body=request.POST.get("body", "").replace("\r\n", "\n"),
                material=request.POST.get("material") == "on",
                requires_witness=request.POST.get("requires_witness") == "on",
                change_note=request.POST.get("change_note", ""), request=request)
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, f"Published {document}.")
            return redirect("consent-documents")
    rows = ConsentDocument.objects.filter(clinic=staff.clinic).select_related("created_by")
    current = {k: actions.current_document(staff.clinic, k) for k in shipped.DOCUMENTS}
    return render(request, "consent/documents.html", {
        "documents": rows, "current": current,
        "missing": [shipped.DOCUMENTS[k].title for k, doc in current.items() if doc is None],
        "can_manage": staff.can(Perm.MANAGE_CLINIC), "errors": errors,
        "posted": request.POST, "routes": ROUTES,
        "paragraphs": {p.route: p for p in
                       EducationParagraph.objects.filter(clinic=staff.clinic)[::-1]},
    }, status=422 if errors else 200)


@requires(Perm.MANAGE_CLINIC)
@require_POST
def education_paragraph(request: HttpRequest, route: str) -> HttpResponse:
    staff = staff_of(request)
    if route not in ROUTES:
        raise Http404("No such route")
    text = request.POST.get("text", "").strip()
    if len(text) > 2000:
        messages.error(request, "The clinic's paragraph is at most 2000 characters.")
    else:
        paragraph = EducationParagraph.objects.create(clinic=staff.clinic, route=route,
                                                      text=text, created_by=staff.user)
        record(Action.CREATE, request=request, obj=paragraph, detail={"route": route})
        messages.success(request, f"Saved the clinic's paragraph for {ROUTES[route]}.")
    return redirect("consent-documents")


# --- intake ----------------------------------------------------------------------------


@requires(Perm.SELFREPORT_MANAGE)
@require_POST
def intake_start(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    link, token = intake.start(staff, patient, request=request)
    # The link exists only now: shown once to copy or hand over, never stored.
    return render(request, "consent/intake_started.html", {
        "patient": patient, "link": link, "url": links.url(token)})


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET", "POST"])
def intake_review(request: HttpRequest, link_id: str) -> HttpResponse:
    staff = staff_of(request)
    link = intake_for(staff, link_id)
    if request.method == "POST":
        try:
            decision = intake.decide(staff, link, request.POST.get("item", ""),
                                     accept=request.POST.get("accept") == "yes",
                                     note=request.POST.get("note", ""), request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{'Accepted' if decision.accepted else 'Declined'}: "
                                      f"{decision.note}")
        return redirect(reverse("intake-review", args=[link.pk]))
    record_patient(staff, Action.VIEW, link.patient_id, link, request=request)
    proposals = intake.proposals(link)
    sections: dict[str, list[intake.Proposal]] = {}
    for p in proposals:
        sections.setdefault(p.section, []).append(p)
    return render(request, "consent/intake_review.html", {
        "link": link, "patient": link.patient, "sections": sections,
        "can_edit": staff.can(Perm.EDIT_PATIENT),
        "open": sum(p.decision is None for p in proposals)})


# --- aftercare -------------------------------------------------------------------------


@requires(Perm.VIEW_CHART)
@require_GET
def aftercare_sheet(request: HttpRequest, session_id: str) -> HttpResponse:
    session = session_for(staff_of(request), session_id, request=request)
    sheet = aftercare.sheet_for(session)
    if request.GET.get("format") == "pdf":
        return _pdf_response(printing.aftercare_pdf(sheet), f"aftercare-{session.pk}.pdf")
    context: dict[str, Any] = {"sheet": sheet, "session": session, "staff_view": True,
                               "clinic": session.course.patient.clinic}
    return render(request, "consent/aftercare.html", context)
