"""Every URL pattern of the staff site, walked with a patient who has everything (chart
entries, screenings, an esketamine session with its dose and ledger entry, a REMS form,
self-report answers and an alert): on GET and on an invalid POST, every response that shows
the patient's data wrote exactly one audit entry naming the patient, and every refused
attempt on an object (403, 404) wrote one `denied` entry with the user and the id asked
for. The patient's own link pages (/r/, /p/) are walked the same way as the patient, and
every JSON API operation and every FHIR type with a token. A URL pattern the walker does not
know fails the test, so a new page cannot be added without saying whether it shows patient
data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from tests.rems.conftest import (  # noqa: F401  (fixtures)
    done_session,
    nurse,
    prescriber,
    ready_patient,
    rems_patient,
    stock,
)
from tests.selfreport.conftest import answers, make_request

from ketacare.audit.models import AuditEvent
from ketacare.ledger.models import LedgerEntry
from ketacare.patients.models import Medication, Weight
from ketacare.selfreport import actions as selfreport
from ketacare.selfreport.models import Alert

pytestmark = pytest.mark.django_db

# URL names whose responses never show one patient's data.
NO_PATIENT_DATA = {
    "health", "login", "logout", "choose-clinic", "two-factor", "two-factor-verify",
    "calculator", "calculator-instrument", "pk-explorer", "protocol-list", "protocol-edit",
    "protocol-copy", "ledger-home", "ledger-item-create", "patient-create",
    "outcomes-dashboard", "outcomes-pdf", "research-export", "audit-list", "api-tokens",
    "api-token-revoke",
    # The signed-in user's own account, password and recovery codes.
    "account", "account-pin", "account-alert-mobile", "password_change", "password_change_done",
    "password_reset",
    "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "two-factor-recovery-codes",
    # Clinic administration: staff members and clinic settings, no patient.
    "clinic-staff", "clinic-staff-invite", "clinic-member-action", "clinic-settings",
    # Clinic-wide documents and protocols: consent document versions, the clinic's education
    # paragraph, the esketamine label, protocol adopt/import/export.
    "consent-documents", "education-paragraph", "esketamine-label", "protocol-adopt",
    "protocol-import", "protocol-export",
    # Public education pages (same text for every patient of the clinic).
    "learn-index", "learn",
}
# The admin site (off by default, superusers with two-factor; accounts/django_admin).
ELSEWHERE_PREFIXES = ("admin:",)

# name -> (kwargs builder, query string for GET)
CASES: dict[str, tuple[Any, str]] = {
    "home": (lambda w: {}, ""),
    "patient-list": (lambda w: {}, ""),
    "patient-chart": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "patient-edit": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "entry-add": (lambda w: {"patient_id": w["patient"].pk, "kind": "weight"}, ""),
    "entry-error": (lambda w: {"patient_id": w["patient"].pk, "kind": "weight",
                               "entry_id": w["weight"].pk}, ""),
    "medication-stop": (lambda w: {"patient_id": w["patient"].pk,
                                   "entry_id": w["medication"].pk}, ""),
    "screening-new": (lambda w: {"patient_id": w["patient"].pk}, "?route=iv"),
    "screening-decide": (lambda w: {"patient_id": w["patient"].pk,
                                    "screening_id": w["screening"].pk}, ""),
    "ledger-report": (lambda w: {}, "?{period}"),
    "ledger-report-csv": (lambda w: {}, "?{period}"),
    "ledger-report-pdf": (lambda w: {}, "?{period}"),
    "ledger-reverse": (lambda w: {"entry_id": w["ledger_entry"].pk}, ""),
    "ledger-item": (lambda w: {"item_id": w["ledger_entry"].stock_item_id}, ""),
    "ledger-record": (lambda w: {"item_id": w["ledger_entry"].stock_item_id,
                                 "kind": "administer"}, ""),
    "course-new": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "progress-letter": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "course-detail": (lambda w: {"course_id": w["session"].course_id}, ""),
    "session-day": (lambda w: {"session_id": w["session"].pk}, ""),
    "session-step": (lambda w: {"session_id": w["session"].pk, "step": "vitals"}, ""),
    "session-plan": (lambda w: {"session_id": w["session"].pk, "change": "move"}, ""),
    "rems-due": (lambda w: {}, ""),
    "rems-form": (lambda w: {"session_id": w["session"].pk}, ""),
    "rems-amend": (lambda w: {"session_id": w["session"].pk}, ""),
    "rems-pdf": (lambda w: {"session_id": w["session"].pk}, ""),
    "selfreport-home": (lambda w: {}, ""),
    "selfreport-alerts": (lambda w: {}, ""),
    "selfreport-alert-ack": (lambda w: {"pk": w["alert"].pk}, ""),
    "selfreport-alert-action": (lambda w: {"pk": w["alert"].pk}, ""),
    "selfreport-responses": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "selfreport-send": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "selfreport-kiosk": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "alert-ack": (lambda w: {"alert_id": w["clinical_alert"].pk}, ""),
    "induction-review": (lambda w: {"course_id": w["session"].course_id}, ""),
    "consent-patient": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "consent-sign": (lambda w: {"patient_id": w["patient"].pk,
                                "route": "esketamine_nasal"}, ""),
    "consent-pdf": (lambda w: {"consent_id": w["consent"].pk}, ""),
    "consent-withdraw": (lambda w: {"consent_id": w["consent"].pk}, ""),
    "intake-start": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "consent-link": (lambda w: {"patient_id": w["patient"].pk, "route": "iv"}, ""),
    "intake-review": (lambda w: {"link_id": w["intake"].pk}, ""),
    # The page names the patient by first name only; its PDF (same view, same read) is walked.
    "aftercare-sheet": (lambda w: {"session_id": w["session"].pk}, "?format=pdf"),
    "rems-enrollment": (lambda w: {"patient_id": w["patient"].pk}, ""),
    "rems-enrollment-error": (lambda w: {"patient_id": w["patient"].pk,
                                         "enrollment_id": w["enrollment"].pk}, ""),
}
# Pages that must show the patient on GET to the prescriber (so the walk is not vacuous).
MUST_SHOW = {"home", "patient-list", "patient-chart", "patient-edit", "screening-new",
             "ledger-report-csv", "ledger-report-pdf", "ledger-item",
             "course-new", "progress-letter", "course-detail", "session-day", "rems-due",
             "rems-form", "rems-pdf", "selfreport-home", "selfreport-alerts",
             "selfreport-responses", "consent-patient", "consent-sign", "consent-pdf",
             "intake-review", "aftercare-sheet", "rems-enrollment"}
# An htmx POST of an invalid form re-renders a partial.
HTMX = {"session-step"}

# The patient's own link pages, opened without an account: name -> the links walked.
PATIENT_LINKS: dict[str, tuple[str, ...]] = {
    "selfreport-link": ("selfreport",), "selfreport-link-save": ("selfreport",),
    "selfreport-link-submit": ("selfreport",),
    "patient-link": ("intake", "consent", "aftercare"), "intake-submit": ("intake",),
    "consent-link-submit": ("consent",),
}
# The JSON API, with a token: name -> kwargs builder (None: no patient data).
API: dict[str, Any] = {
    "api-v1:api-root": None, "api-v1:openapi-json": None, "api-v1:openapi-view": None,
    "api-v1:list_patients": lambda w: {},
    "api-v1:get_patient": lambda w: {"patient_id": w["patient"].pk},
    "api-v1:patient_courses": lambda w: {"patient_id": w["patient"].pk},
    "api-v1:patient_assessments": lambda w: {"patient_id": w["patient"].pk},
    "api-v1:get_course": lambda w: {"course_id": w["session"].course_id},
    "api-v1:course_sessions": lambda w: {"course_id": w["session"].course_id},
    "api-v1:get_session": lambda w: {"session_id": w["session"].pk},
    "api-v1:list_alerts": lambda w: {},
    "api-v1:list_ledger_entries": lambda w: {},
    "api-v1:get_ledger_entry": lambda w: {"entry_id": w["ledger_entry"].pk},
}
# FHIR: searched and read for every registered type (test_every_fhir_type_...); metadata and
# the catch-all 404 show no patient.
FHIR = {"fhir-type", "fhir-instance", "fhir-metadata", "fhir-not-found"}


def _names(resolver: URLResolver, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{entry.namespace}:" if entry.namespace else ""
            out |= _names(entry, prefix + ns)
        elif isinstance(entry, URLPattern) and entry.name:
            out.add(prefix + entry.name)
    return out


def test_the_walker_knows_every_url_pattern() -> None:
    known = NO_PATIENT_DATA | set(CASES) | set(PATIENT_LINKS) | set(API) | FHIR
    assert not (NO_PATIENT_DATA & set(CASES))
    unknown = {n for n in _names(get_resolver())
               if n not in known and not n.startswith(ELSEWHERE_PREFIXES)}
    assert unknown == set()


@pytest.fixture
def world(done_session, prescriber, rems_patient):  # noqa: F811
    from tests.consent.conftest import sign_for

    from ketacare.consent import intake
    from ketacare.rems import actions as rems
    from ketacare.rems.models import RemsEnrollment
    from ketacare.treatment.actions.alerts import raise_alert

    patient = rems_patient
    rems.save_draft(prescriber, done_session, {})
    clinical_alert = raise_alert(prescriber, done_session, "vitals", "bp-high",
                                 "Blood pressure 184/100 mmHg")
    consent = sign_for(prescriber, patient, "esketamine_nasal")
    link, _ = intake.start(prescriber, patient)
    req, _ = make_request(patient)
    selfreport.submit(req, answers([1] * 8 + [2]))
    today = patient.clinic.today()
    # Another session of the course today: the home page's worklist shows the patient.
    done_session.course.sessions.exclude(pk=done_session.pk).filter(
        pk=done_session.course.sessions.exclude(pk=done_session.pk).first().pk
    ).update(planned_date=today)
    return {
        "period": f"start={today - timedelta(days=40)}&end={today + timedelta(days=40)}",
        "patient": patient, "session": done_session,
        "weight": Weight.objects.filter(patient=patient).first(),
        "medication": Medication.objects.filter(patient=patient).first(),
        "screening": patient.screenings.first(),
        "ledger_entry": LedgerEntry.objects.filter(patient=patient).first(),
        "alert": Alert.objects.get(patient=patient),
        "clinical_alert": clinical_alert, "consent": consent, "intake": link,
        "enrollment": RemsEnrollment.objects.get(patient=patient),
    }


def _shows(response: Any, patient: Any) -> bool:
    if response.status_code in (403, 404, 405) or 300 <= response.status_code < 400:
        return False
    if response["Content-Type"].startswith("application/pdf"):
        return True
    body = b"".join(response) if response.streaming else response.content
    return patient.mrn.encode() in body or patient.family_name.encode() in body


def _naming(patient: Any, since: int, user: Any) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(id__gt=since, user_id=user.pk)
            if e.patient_id == patient.pk
            or str(patient.pk) in (e.detail or {}).get("patient_ids", [])]


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _url(name: str, world: dict[str, Any]) -> str:
    from django.urls import reverse

    build, query = CASES[name]
    return reverse(name, kwargs=build(world)) + query.format(**world)


@pytest.mark.parametrize("persona", ["prescriber_a", "nurse_a", "admin_a"])
def test_every_response_showing_a_patient_wrote_exactly_one_entry(
        world, client, persona, request) -> None:
    user = request.getfixturevalue(persona)
    client.force_login(user)
    patient = world["patient"]
    shown: set[str] = set()
    wrong: list[str] = []
    for name in CASES:
        url = _url(name, world)
        for method in ("get", "post"):
            headers = {"HTTP_HX_REQUEST": "true"} if name in HTMX and method == "post" else {}
            since = _last_id()
            response = getattr(client, method)(url, {}, **headers) if method == "post" \
                else client.get(url)
            if not _shows(response, patient):
                continue
            shown.add(name) if method == "get" else None
            entries = _naming(patient, since, user)
            if len(entries) != 1:
                wrong.append(f"{method.upper()} {name} {response.status_code}: "
                             f"{[(e.action, e.object_type) for e in entries]}")
    assert wrong == [], "\n".join(wrong)
    if persona == "prescriber_a":
        assert MUST_SHOW - shown == set()


def test_refused_attempts_are_audited_as_denied(world, client, prescriber_b, analyst_a) -> None:
    """Another clinic's prescriber (404) and an analyst without chart rights (403)."""
    for user, status in ((prescriber_b, 404), (analyst_a, 403)):
        client.force_login(user)
        for name, (build, _) in CASES.items():
            kwargs = build(world)
            ids = [k for k in kwargs if k.endswith("_id") or k == "pk"]
            if not ids:
                continue
            since = _last_id()
            response = client.get(_url(name, world))
            if response.status_code == 405:
                response = client.post(_url(name, world), {})
            assert response.status_code == status, name
            denied = list(AuditEvent.objects.filter(id__gt=since, action="denied"))
            assert len(denied) == 1, name
            assert denied[0].user_id == user.pk and denied[0].username == user.username
            assert denied[0].object_id == str(kwargs[ids[-1]]), name
            assert denied[0].patient_id is None  # nothing about the object it asked for


@pytest.mark.parametrize(("name", "method", "data"), [
    ("progress-letter", "post", {"recipient": "Dr Alex Morgan"}),
    ("rems-pdf", "get", None),
    ("ledger-report-csv", "get", None),
    ("session-day", "get", None),
])
def test_downloads_and_pages_on_success_write_exactly_one_entry(
        world, client, prescriber_a, name, method, data) -> None:
    client.force_login(prescriber_a)
    since = _last_id()
    response = getattr(client, method)(_url(name, world), data or {})
    assert response.status_code == 200 and _shows(response, world["patient"])
    assert len(_naming(world["patient"], since, prescriber_a)) == 1


# --- the patient's own links, the JSON API and FHIR -------------------------------------


@pytest.fixture
def links(world, prescriber, admin_a, clinic_a):  # type: ignore[no-untyped-def]  # noqa: F811
    """One open link of each kind for the walked patient."""
    from tests.consent.test_consent_link import no_witness_version

    from ketacare.accounts.staff import staff_for
    from ketacare.consent import intake
    from ketacare.consent import links as consent_links

    no_witness_version(staff_for(admin_a, clinic_a))  # a document signed through a link
    patient = world["patient"]
    _, intake_token = intake.start(prescriber, patient)
    return {
        "selfreport": make_request(patient)[1], "intake": intake_token,
        "consent": consent_links.issue(patient, "consent", created_by=prescriber.user,
                                       route="iv")[1],
        "aftercare": consent_links.issue(patient, "aftercare", created_by=prescriber.user,
                                         session=world["session"])[1],
    }


def _naming_anyone(patient: Any, since: int) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(id__gt=since)
            if e.patient_id == patient.pk
            or str(patient.pk) in (e.detail or {}).get("patient_ids", [])]


def test_every_patient_link_page_showing_the_patient_wrote_exactly_one_entry(
        world, links) -> None:
    """GET and an invalid (empty) POST, from a browser without an account."""
    from django.test import Client
    from django.urls import reverse

    patient = world["patient"]
    shown: set[str] = set()
    wrong: list[str] = []
    for name, kinds in PATIENT_LINKS.items():
        for kind in kinds:
            url = reverse(name, kwargs={"token": links[kind]})
            for method in ("get", "post"):
                since = _last_id()
                response = getattr(Client(), method)(url, {})
                if response.status_code == 405:
                    continue
                if patient.given_name.encode() not in response.content:
                    continue
                shown.add(f"{method} {name} {kind}")
                entries = _naming_anyone(patient, since)
                if len(entries) != 1:
                    wrong.append(f"{method.upper()} {name} ({kind}) {response.status_code}: "
                                 f"{[(e.action, e.object_type) for e in entries]}")
    assert wrong == [], "\n".join(wrong)
    assert {"get selfreport-link selfreport", "post selfreport-link-submit selfreport",
            "get patient-link intake", "get patient-link consent",
            "get patient-link aftercare", "post consent-link-submit consent"} <= shown


def _api_url(name: str, world: dict[str, Any]) -> str:
    from django.urls import reverse

    build = API[name]
    return reverse(name, kwargs=build(world) if build else {})


def test_every_api_operation_showing_a_patient_wrote_exactly_one_entry_and_no_store(
        world, client, prescriber_a, prescriber_b, clinic_a, clinic_b) -> None:
    from ketacare.interop.auth import create_token

    patient = world["patient"]
    own = {"HTTP_AUTHORIZATION": f"Bearer {create_token(prescriber_a, clinic_a, 'walk')[1]}"}
    other = {"HTTP_AUTHORIZATION": f"Bearer {create_token(prescriber_b, clinic_b, 'b')[1]}"}
    wrong: list[str] = []
    for name, build in API.items():
        url = _api_url(name, world)
        since = _last_id()
        response = client.get(url, **own)
        if build is None:  # the schema, its docs page, the root (a 404)
            assert response.status_code < 500, name
            assert patient.mrn.encode() not in response.content, name
            continue
        assert response.status_code == 200, name
        assert response["Cache-Control"] == "no-store", name
        assert str(patient.pk).encode() in response.content, name
        entries = _naming_anyone(patient, since)
        if len(entries) != 1:
            wrong.append(f"{name}: {[(e.action, e.object_type) for e in entries]}")
        kwargs = build(world)
        if kwargs:  # another clinic's token asking for this object: 404, audited as denied
            since = _last_id()
            refused = client.get(url, **other)
            assert refused.status_code == 404, name
            assert refused["Cache-Control"] == "no-store", name
            denied = list(AuditEvent.objects.filter(id__gt=since))
            assert [(e.action, e.user_id, e.object_id, e.patient_id) for e in denied] == [
                ("denied", prescriber_b.pk, str(next(iter(kwargs.values()))), None)], name
    assert wrong == [], "\n".join(wrong)


def test_every_fhir_type_search_and_read_wrote_exactly_one_entry(
        world, links, client, prescriber_a, clinic_a, prescriber_b, clinic_b) -> None:
    """And another clinic's token reading the resource: 404, one `denied` entry."""
    from ketacare.interop.auth import create_token
    from ketacare.interop.fhir.registry import load

    patient = world["patient"]
    own = {"HTTP_AUTHORIZATION": f"Bearer {create_token(prescriber_a, clinic_a, 'walk')[1]}"}
    other = {"HTTP_AUTHORIZATION": f"Bearer {create_token(prescriber_b, clinic_b, 'b')[1]}"}
    wrong: list[str] = []
    for rtype, handler in sorted(load().items()):
        query = {"patient": str(patient.pk)} if "patient" in handler.param_names else {}
        since = _last_id()
        found = client.get(f"/fhir/{rtype}", query, **own)
        assert found.status_code == 200, rtype
        assert found["Cache-Control"] == "no-store", rtype
        resources = [e["resource"] for e in found.json().get("entry", [])]
        if handler.perm is None:
            continue  # definitions (Questionnaire): nobody's data
        assert resources, rtype  # the walked patient has one of each
        if len(_naming_anyone(patient, since)) != 1:
            wrong.append(f"search {rtype}")
        since = _last_id()
        read = client.get(f"/fhir/{rtype}/{resources[0]['id']}", **own)
        assert read.status_code == 200, rtype
        if len(_naming_anyone(patient, since)) != 1:
            wrong.append(f"read {rtype}")
        since = _last_id()
        assert client.get(f"/fhir/{rtype}/{resources[0]['id']}", **other).status_code == 404
        denied = [(e.action, e.user_id, e.object_id, e.patient_id)
                  for e in AuditEvent.objects.filter(id__gt=since)]
        if denied != [("denied", prescriber_b.pk, resources[0]["id"], None)]:
            wrong.append(f"denied {rtype}: {denied}")
    assert wrong == [], "\n".join(wrong)
