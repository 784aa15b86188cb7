"""Pages without an account: the education pages of a clinic (nothing about any patient),
and the patient's secret link (intake, consent or aftercare), which never caches and keeps
its token out of the request log (as selfreport.public_views does). Every response of a
link that shows the patient writes one audit entry as the patient: the save or signature
that the response reports, or else a view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ketacare.audit.models import Action
from ketacare.clinical.eligibility import ROUTES
from ketacare.selfreport.actions import audit_link
from ketacare.selfreport.config import for_clinic
from ketacare.selfreport.public_views import PROBLEM_STATUS, _quiet

from . import actions, aftercare, intake, links, printing, shipped
from .models import ConsentDocument, PatientLink
from .readmodels import clinic_by_id, education_page
from .views import form_date, form_errors


@login_not_required
@require_GET
def learn_index(request: HttpRequest, clinic_id: int) -> HttpResponse:
    clinic = clinic_by_id(clinic_id)
    return render(request, "consent/learn_index.html", {"clinic": clinic, "routes": ROUTES})


@login_not_required
@require_GET
def learn(request: HttpRequest, clinic_id: int, route: str) -> HttpResponse:
    page = education_page(clinic_by_id(clinic_id), route)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(printing.education_pdf(page), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="about-{route}.pdf"'
        return response
    return render(request, "consent/learn.html", {
        "page": page, "clinic": page.clinic, "phone": for_clinic(page.clinic).phone})


def _consent_page(request: HttpRequest, link: PatientLink, token: str,
                  errors: dict[str, list[str]] | None = None) -> HttpResponse:
    """The document of the link's route to read, and the signature box."""
    document, problem = actions.link_document(link)
    return _quiet(render(request, "consent/sign_link.html", {
        "clinic": link.clinic, "token": token, "first_name": link.patient.given_name,
        "document": None if problem else document, "problem": problem,
        "sections": shipped.sections(document.body) if document and not problem else [],
        "route": link.route, "route_label": ROUTES.get(link.route, link.route),
        "errors": errors or {}, "posted": request.POST, "today": link.clinic.today(),
    }, status=422 if errors else 200))


def _link_page(request: HttpRequest, link: PatientLink, token: str) -> HttpResponse:
    clinic = link.clinic
    if link.purpose == "consent":
        return _consent_page(request, link, token)
    if link.purpose == "aftercare" and link.session is not None:
        return _quiet(render(request, "consent/aftercare.html", {
            "sheet": aftercare.sheet_for(link.session), "clinic": clinic}))
    answers = link.answers
    context = {
        "clinic": clinic, "token": token, "first_name": link.patient.given_name,
        "contacts": [(f"contact:{k}", label,
                      answers.get(f"contact:{k}") or getattr(link.patient, k) or "")
                     for k, label in intake.CONTACT_FIELDS.items()],
        "medicines": [(f"med:{k}", label, answers.get(f"med:{k}", ""))
                      for k, (label, _) in intake.MEDICINES.items()],
        "antidepressants": answers.get("treatment:antidepressant", ""),
        "treatments": [(f"treatment:{k}", label, answers.get(f"treatment:{k}") == "yes")
                       for k, (label, _) in intake.PAST_TREATMENTS.items()],
        "history": [(f"history:{k}", q, answers.get(f"history:{k}", ""))
                    for k, q in intake.HISTORY.items()],
        "history_answers": intake.HISTORY_ANSWERS, "routes": ROUTES,
    }
    return _quiet(render(request, "consent/intake.html", context))


def _problem(request: HttpRequest, problem: str, link: PatientLink | None) -> HttpResponse:
    context = {"problem": problem, "clinic": link.clinic if link else None}
    if link is not None:
        cfg = for_clinic(link.clinic)
        context.update({"crisis_text": cfg.crisis_text, "phone": cfg.phone})
    return _quiet(render(request, "selfreport/link_problem.html", context,
                         status=PROBLEM_STATUS[problem]))


@login_not_required
@never_cache
@require_GET
def patient_link(request: HttpRequest, token: str) -> HttpResponse:
    state = links.resolve(token)
    if state.link is None or state.problem:
        return _problem(request, state.problem, state.link)
    PatientLink.objects.filter(pk=state.link.pk, opened_at__isnull=True).update(
        opened_at=timezone.now())
    audit_link(Action.VIEW, state.link, request, {"purpose": state.link.purpose})
    return _link_page(request, state.link, token)


@login_not_required
@never_cache
@require_POST
def intake_submit(request: HttpRequest, token: str) -> HttpResponse:
    state = links.resolve(token)
    if state.link is None or state.problem or state.link.purpose != "intake":
        return _problem(request, state.problem or "unknown", state.link)
    if request.POST.get("action") == "save":
        link = intake.save(state.link, request.POST, request=request)
        return _link_page(request, link, token)
    link, tokens = intake.submit(state.link, request.POST, request=request)
    return _quiet(render(request, "consent/intake_done.html", {
        "clinic": link.clinic, "first_name": link.patient.given_name,
        "questionnaires": [f"/r/{t}/" for t in tokens], "routes": ROUTES}))


@login_not_required
@never_cache
@require_POST
def consent_submit(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's signature through their link: the same action checks as the tablet."""
    state = links.resolve(token)
    if state.link is None or state.problem or state.link.purpose != "consent":
        return _problem(request, state.problem or "unknown", state.link)
    link = state.link
    document_id = request.POST.get("document", "")
    posted = None
    if document_id.isdigit() and len(document_id) < 19:
        posted = ConsentDocument.objects.filter(pk=int(document_id), clinic=link.clinic).first()
    try:
        png = actions.signature_from_data_url(request.POST.get("signature", ""))
        consent = actions.sign_through_link(
            link, posted, typed_name=request.POST.get("typed_name", ""),
            signed_on=form_date(request.POST.get("signed_on", "")), signature_png=png,
            request=request)
    except ValidationError as exc:  # nothing written: the page shown again is a read
        audit_link(Action.VIEW, link, request, {"purpose": link.purpose, "refused": True})
        return _consent_page(request, link, token, form_errors(exc))
    return _quiet(render(request, "consent/sign_link_done.html", {
        "clinic": link.clinic, "first_name": link.patient.given_name, "consent": consent,
        "route": link.route, "route_label": ROUTES.get(link.route, link.route)}))
