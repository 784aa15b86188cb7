"""The patient's pages, opened from a secret link without an account.

They show the patient's first name at most, never cache, and answer a bad link with a
friendly page (404 unknown, 410 expired or already answered) that says what to do and
nothing about the patient. Only the browser that submitted sees its thank-you page (and the
patient's own progress) again, for KETACARE_SELFREPORT_PROGRESS_MINUTES after submitting:
submit sets a signed HttpOnly cookie naming the link's hash. The token is in the path, so
Django's request log shows it redacted (web/logging.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ketacare.audit.models import Action
from ketacare.charts import svg
from ketacare.charts.trajectory import points_from, trajectory_chart
from ketacare.clinical import answer_alerts
from ketacare.clinical.instruments import InstrumentInputError, get

from . import actions, tokens
from .config import for_clinic
from .models import ReportRequest, Response

PROBLEM_STATUS = {"unknown": 404, "expired": 410, "used": 410}
ANSWERED_COOKIE = "ketacare_answered"
_COOKIE_SALT = "ketacare.selfreport.answered"


def _window() -> timedelta:
    return timedelta(minutes=settings.KETACARE_SELFREPORT_PROGRESS_MINUTES)


def _answered_here(request: HttpRequest, token: str, req: ReportRequest) -> bool:
    """This browser submitted this link, and the link's post-submit window is still open."""
    if req.completed_at is None or timezone.now() >= req.completed_at + _window():
        return False
    if req.source == "kiosk" or timezone.now() >= req.expires_at:
        return False
    value = request.get_signed_cookie(ANSWERED_COOKIE, default=None, salt=_COOKIE_SALT,
                                      max_age=_window())
    return value == tokens.digest(token)


def _remember_answered(response: HttpResponse, token: str, req: ReportRequest) -> None:
    """A kiosk is a shared device: the next person must not see this patient's page."""
    if req.source == "kiosk":
        return
    response.set_signed_cookie(
        ANSWERED_COOKIE, tokens.digest(token), salt=_COOKIE_SALT,
        max_age=int(_window().total_seconds()), path="/r/", httponly=True,
        samesite="Strict", secure=settings.SECURE_COOKIES)


def _quiet(response: HttpResponse) -> HttpResponse:
    """Keep the path (it holds the token) out of the "Not Found: /r/..." log line."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _clinic_context(req: ReportRequest | None) -> dict[str, Any]:
    if req is None:
        return {}
    cfg = for_clinic(req.clinic)
    return {"clinic": req.clinic, "crisis_text": cfg.crisis_text, "review_time": cfg.review_time,
            "phone": cfg.phone}


def _problem(request: HttpRequest, state: actions.LinkState) -> HttpResponse:
    context = {"problem": state.problem, **_clinic_context(state.req)}
    if state.req is not None:
        actions.audit_link(Action.VIEW, state.req, request,
                            {"refused": state.problem})
    response = render(request, "selfreport/link_problem.html", context,
                      status=PROBLEM_STATUS[state.problem])
    return _quiet(response)


def _page(request: HttpRequest, token: str, req: ReportRequest,
          error: InstrumentInputError | None = None, status: int = 200) -> HttpResponse:
    instrument = get(req.instrument)
    answers = {int(k): v for k, v in req.progress.items()}
    items = [
        {"item": item, "value": answers.get(item.number),
         "error": error is not None and error.item == item.number}
        for item in instrument.items
    ]
    context = {
        "token": token, "req": req, "instrument": instrument, "items": items,
        "first_name": req.patient.given_name, "answered": len(answers),
        "required": instrument.required_count, "error": error,
        "kiosk": req.source == "kiosk",
        "show_crisis": answer_alerts.needs_crisis_text(req.instrument, answers),
        **_clinic_context(req),
    }
    return _quiet(render(request, "selfreport/questionnaire.html", context, status=status))


@login_not_required
@never_cache
@require_GET
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    state = actions.resolve_link(token)
    if state.problem == "used" and state.req and _answered_here(request, token, state.req):
        return _thanks_again(request, state.req)
    if state.problem or state.req is None:
        return _problem(request, state)
    actions.opened(state.req, request)
    return _page(request, token, state.req)


@login_not_required
@never_cache
@require_POST
def save(request: HttpRequest, token: str) -> HttpResponse:
    """htmx posts the whole form on every change; without JavaScript the "Save" button
    posts here too and gets the page back."""
    state = actions.resolve_link(token)
    if state.problem or state.req is None:
        return _problem(request, state)
    req = actions.save_progress(state.req, request.POST, request=request)
    if not request.htmx:  # type: ignore[attr-defined]
        _unless_saved(request, state.req, req)
        return _page(request, token, req)
    answers = {int(k): v for k, v in req.progress.items()}
    instrument = get(req.instrument)
    context = {"answered": len(answers), "required": instrument.required_count,
               "show_crisis": answer_alerts.needs_crisis_text(req.instrument, answers),
               **_clinic_context(req)}
    return _quiet(render(request, "selfreport/_saved.html", context))


@login_not_required
@never_cache
@require_POST
def submit(request: HttpRequest, token: str) -> HttpResponse:
    """Idempotent in the same browser: a second submit (double click, a retry) within the
    post-submit window shows the same result; from anywhere else a used link shows the
    neutral page."""
    state = actions.resolve_link(token)
    if state.problem == "used" and state.req and _answered_here(request, token, state.req):
        return _thanks_again(request, state.req)
    if state.problem or state.req is None:
        return _problem(request, state)
    # Saved first, in its own transaction: answers survive a submit that is refused.
    saved = actions.save_progress(state.req, request.POST, request=request)
    try:
        response = actions.submit(state.req, request=request)
    except InstrumentInputError as exc:
        _unless_saved(request, state.req, saved)
        return _page(request, token, saved, error=exc, status=422)
    page = _thanks(request, response)
    _remember_answered(page, token, response.request)
    return page


def _unless_saved(request: HttpRequest, before: ReportRequest, after: ReportRequest) -> None:
    """The page shown again names the patient: one entry, the save's if it wrote one."""
    if after.progress == before.progress:
        actions.audit_link(Action.VIEW, after, request, {"instrument": after.instrument})


def _thanks_again(request: HttpRequest, req: ReportRequest) -> HttpResponse:
    """The same browser within the window: the page again, audited as a read."""
    actions.audit_link(Action.VIEW, req, request, {"progress": True})
    return _thanks(request, req.response)


def _thanks(request: HttpRequest, response: Response) -> HttpResponse:
    req = response.request
    alerts = list(response.alerts.all())
    context = {
        "response": response, "first_name": req.patient.given_name,
        "alert": (any(a.critical for a in alerts)
                  or bool(set(response.flags) & answer_alerts.CRISIS_FLAGS)),
        "kiosk": req.source == "kiosk", **_clinic_context(req),
        "progress": _progress_chart(req) if req.source != "kiosk" else None,
    }
    return _quiet(render(request, "selfreport/thanks.html", context))


def _progress_chart(req: ReportRequest) -> str | None:
    """The patient's own history on this instrument, if the clinic shows it."""
    if not for_clinic(req.clinic).show_progress:
        return None
    instrument = get(req.instrument)
    if not instrument.has_total:
        return None
    points = points_from(list(Response.objects.filter(patient=req.patient,
                                                      instrument=req.instrument)))
    if len(points) < 2:
        return None
    return svg(trajectory_chart, instrument, points, width=320, height=220,
               zone=req.clinic.zone, plain_language=True)
