"""FHIR endpoints: token auth, clinic scope, audit, and an OperationOutcome for every
error. No session, no CSRF, no cookies: a token is the only credential."""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_reads
from ketacare.audit.models import Action

from ..auth import AuthError, authenticate
from . import engine, search
from .capability import capability_statement
from .outcome import FHIR_JSON, FhirError, error_response, fhir_response, outcome
from .registry import Entry, ResourceType, load

View = Callable[..., HttpResponse]
# Deeper than any resource we accept (a QuestionnaireResponse's item groups rarely pass
# 10); a bound keeps the parser and the model validation away from the recursion limit.
MAX_DEPTH = 64
# PostgreSQL advisory lock class of conditional creates (the second key is the condition).
CONDITIONAL_LOCK = 0x4B43_4643  # "KCFC"


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir-metadata")).removesuffix("metadata")


def _accepts_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return not accept or "json" in accept or "*/*" in accept


def fhir_view(methods: set[str]) -> Callable[[View], View]:
    """Common wrapping: method check, content negotiation, errors as OperationOutcome."""

    def decorate(view: View) -> View:
        @login_not_required
        @csrf_exempt
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise FhirError(405, "not-supported",
                                    f"{request.method} is not supported here; allowed: "
                                    f"{', '.join(sorted(methods))}.")
                if not _accepts_json(request):
                    raise FhirError(406, "not-supported",
                                    "Only application/fhir+json is served.")
                response = view(request, *args, **kwargs)
            except FhirError as exc:
                response = error_response(exc)
                if exc.status == 405:
                    response["Allow"] = ", ".join(sorted(methods))
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="ketacare-fhir"'
            except AuthError as exc:
                response = fhir_response(outcome("login", str(exc)), status=401,
                                         headers={"WWW-Authenticate":
                                                  'Bearer realm="ketacare-fhir"'})
            except PermissionDenied as exc:
                response = fhir_response(outcome("forbidden", str(exc) or "Not allowed."),
                                         status=403)
            except Http404:
                response = fhir_response(outcome("not-found", "Resource not found."),
                                         status=404)
            return response

        return wrapped

    return decorate


def _staff(request: HttpRequest) -> Staff:
    staff = authenticate(request)
    request.staff = staff  # type: ignore[attr-defined]
    return staff


def _resource_type(name: str) -> ResourceType:
    rt = load().get(name)
    if rt is None:
        raise FhirError(404, "not-supported", f"Resource type {name!r} is not supported; "
                        f"supported: {', '.join(sorted(load()))}.")
    return rt


def _audit(staff: Staff, action: Action, request: HttpRequest, rt: ResourceType,
           entries: list[Entry], detail: dict[str, Any],
           matched: Iterable[str] = ()) -> None:
    record_reads(staff, action, request, f"fhir:{rt.name}",
                 [(e.patient_id, e.id) for e in entries], {"via": "fhir", **detail},
                 matched=matched)


def _printable(query: Any) -> dict[str, list[str]]:
    """Search parameters as the audit stores them (PostgreSQL JSON refuses NUL)."""
    return {k.replace("\x00", ""): [v.replace("\x00", "") for v in query.getlist(k)]
            for k in query}


@fhir_view({"GET"})
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement(base_url(request)))


@fhir_view({"GET", "POST"})
def type_level(request: HttpRequest, resource_type: str) -> HttpResponse:
    rt = _resource_type(resource_type)
    staff = _staff(request)
    if request.method == "POST":
        return _create(request, staff, rt)
    if rt.perm is not None:
        staff.require(rt.perm)
    params = search.parse(request.GET, rt.param_names, set(rt.sorts),
                          zoneinfo.ZoneInfo(staff.clinic.time_zone))
    page = engine.run(rt, staff, params)
    query = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    body = engine.bundle(base_url(request), rt.name, page, params, query)
    # The patients a search named that match, returned or not (`_count=0` still tells).
    _audit(staff, Action.SEARCH, request, rt, page.entries,
           {"params": _printable(request.GET), "total": page.total}, page.patients)
    return fhir_response(body)


@fhir_view({"GET"})
def instance_level(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    rt = _resource_type(resource_type)
    staff = _staff(request)
    if rt.perm is not None:
        staff.require(rt.perm)
    found = engine.read(rt, staff, resource_id)
    if found is None:
        raise FhirError(404, "not-found", f"{rt.name}/{resource_id} is not known.")
    _audit(staff, Action.VIEW, request, rt, [found], {})
    return fhir_response(found.resource)


def _create(request: HttpRequest, staff: Staff, rt: ResourceType) -> HttpResponse:
    if rt.create is None:
        raise FhirError(405, "not-supported", f"{rt.name} cannot be created here.")
    staff.require(rt.create_perm)
    content_type = request.content_type or ""
    if content_type not in {FHIR_JSON, "application/json"}:
        raise FhirError(415, "not-supported", "Send the resource as application/fhir+json.")
    body = _parse_body(request.body)
    if not isinstance(body, dict) or body.get("resourceType") != rt.name:
        raise FhirError(422, "invalid", f"The body must be a {rt.name} resource.",
                        "resourceType")
    _validate(rt.name, body)
    condition = request.headers.get("If-None-Exist")
    with transaction.atomic():
        if condition is not None:
            existing = _existing(staff, rt, condition)
            if existing is not None:
                _audit(staff, Action.VIEW, request, rt, [existing], {"if_none_exist": True})
                return fhir_response(existing.resource, status=200, headers={
                    "Location": f"{base_url(request)}{rt.name}/{existing.id}"})
        entry = rt.create(staff, body, request)
    location = f"{base_url(request)}{rt.name}/{entry.id}"
    return fhir_response(entry.resource, status=201, headers={"Location": location})


def _parse_body(raw: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        body = json.loads(raw or b"null", parse_constant=refuse)
        too_deep = _depth(body) > MAX_DEPTH
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "structure", "The body is not valid JSON.") from None
    except RecursionError:  # nested past the parser's own limit
        too_deep = True
    if too_deep:
        raise FhirError(400, "structure",
                        f"The body is nested more than {MAX_DEPTH} levels deep.")
    return body


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (iteratively: the value may be very deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((child, level + 1)
                         for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _existing(staff: Staff, rt: ResourceType, condition: str) -> Entry | None:
    """Conditional create (FHIR R4 http.html#ccreate): the resource already stored that
    matches `If-None-Exist`, None when nothing does, 412 when several do. Identical
    conditions are serialised so that two concurrent retries cannot both create."""
    if not rt.conditional_create:
        raise FhirError(400, "not-supported", f"{rt.name} does not take If-None-Exist.",
                        "If-None-Exist")
    query = QueryDict(condition.strip().lstrip("?"))
    if not [k for k in query if k not in search.RESULT_PARAMS]:
        raise FhirError(400, "invalid", "If-None-Exist needs search criteria, e.g. "
                        "identifier=SYSTEM|VALUE.", "If-None-Exist")
    params = search.parse(query, rt.param_names, set(rt.sorts),
                          zoneinfo.ZoneInfo(staff.clinic.time_zone))
    if connection.vendor == "postgresql":
        key = hashlib.blake2b(f"{staff.clinic.pk}:{rt.name}:{condition}".encode(),
                              digest_size=4).digest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                           [CONDITIONAL_LOCK, int.from_bytes(key, "big", signed=True)])
    # One match or several is all that matters.
    params.count, params.offset, params.total = 2, 0, "accurate"
    page = engine.run(rt, staff, params)
    if page.total is not None and page.total > 1:
        raise FhirError(412, "multiple-matches", f"If-None-Exist matches {page.total} "
                        f"{rt.name} resources; make the condition select one.", "If-None-Exist")
    return page.entries[0] if page.entries else None


def _null_member(body: dict[str, Any]) -> str | None:
    """The path of the first element whose value is JSON null, which FHIR's JSON format
    does not allow (an empty element is left out); the models would take it as absent."""
    stack: list[tuple[str, Any]] = [("", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, member in value.items():
                if member is None:
                    return f"{path}.{key}".lstrip(".")
                stack.append((f"{path}.{key}", member))
        elif isinstance(value, list):
            stack.extend((path, member) for member in value)
    return None


def _validate(name: str, body: dict[str, Any]) -> None:
    """Structural validation against the FHIR models before any business rule."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    null = _null_member(body)
    if null is not None:
        raise FhirError(422, "structure", f"Invalid {name}: {null} is null; leave an empty "
                        "element out.", f"{name}.{null}")
    try:
        get_fhir_model_class(name).model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise FhirError(422, "structure", f"Invalid {name}: {first.get('msg')} at "
                        f"{where or name}.", f"{name}.{where}" if where else name) from None


@fhir_view({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise FhirError(404, "not-found", "No such FHIR endpoint.")
