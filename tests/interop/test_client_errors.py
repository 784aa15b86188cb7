"""Errors in the client's format: every /api/v1 error is problem+json, every /fhir error an
OperationOutcome, including an unknown path, a wrong method, an unexpected exception (500)
and a database that cannot be reached (503, with a real connection to a closed port or an
unopenable file, not a mock). Every /api/v1 response is `Cache-Control: no-store`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from ketacare.interop.fhir.views import fhir_view

from .conftest import auth
from .test_fhir_read_search import is_outcome
from .urls import urlpatterns as interop_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an unexpected bug")


urlpatterns = [
    # A real exception under each prefix (a bug we do not know of yet): 500, in format.
    path("api/v1/_test/boom", login_not_required(_boom)),
    path("fhir/_test/boom", fhir_view({"GET"})(_boom)),
    *interop_urls,
]


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    return body


@pytest.fixture
def quiet_client() -> Client:
    """A client that returns the 500 the server answers instead of re-raising the bug."""
    return Client(raise_request_exception=False)


def test_api_errors_are_problem_json(quiet_client, token_a) -> None:
    is_problem(quiet_client.get("/api/v1/patients"), 401)
    is_problem(quiet_client.get("/api/v1/patients", {"limit": 0}, **auth(token_a)), 422)
    is_problem(quiet_client.get("/api/v1/sessions/999999", **auth(token_a)), 404)
    is_problem(quiet_client.get("/api/v1/no-such-thing", **auth(token_a)), 404)
    is_problem(quiet_client.get("/api/v1/", **auth(token_a)), 404)
    wrong_method = quiet_client.post("/api/v1/patients", {}, **auth(token_a))
    assert "GET" in is_problem(wrong_method, 405)["detail"] and wrong_method["Allow"] == "GET"
    # The security headers the stack set on the page it replaced stay.
    assert wrong_method["X-Content-Type-Options"] == "nosniff"
    assert "an unexpected bug" not in is_problem(quiet_client.get("/api/v1/_test/boom"),
                                                 500)["detail"]


def test_fhir_errors_are_operation_outcomes(quiet_client, token_a) -> None:
    body = is_outcome(quiet_client.get("/fhir/_test/boom", **auth(token_a)), 500)
    assert body["issue"][0]["code"] == "exception"
    assert "an unexpected bug" not in body["issue"][0]["diagnostics"]


def test_every_api_response_is_no_store(client, charted, token_a) -> None:
    pid = charted.patient.pk
    for url in ("/api/v1/patients", f"/api/v1/patients/{pid}",
                f"/api/v1/patients/{pid}/assessments", "/api/v1/alerts",
                "/api/v1/ledger/entries", "/api/v1/openapi.json"):
        response = client.get(url, **auth(token_a))
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.fixture
def database_down(token_a, tmp_path) -> Iterator[None]:
    """The default connection replaced by one to a database that is not there: PostgreSQL
    on a port nothing listens on, SQLite on a file in a directory that does not exist."""
    original = connections["default"]
    settings = dict(original.settings_dict)
    if original.vendor == "postgresql":
        settings.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    else:
        settings.update(NAME=str(tmp_path / "missing" / "db.sqlite3"))
    broken = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "default")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = original


def test_database_down(quiet_client, token_a, database_down) -> None:
    api = is_problem(quiet_client.get("/api/v1/patients", **auth(token_a)), 503)
    assert "database" in api["detail"].lower()
    fhir = quiet_client.get("/fhir/Patient", **auth(token_a))
    assert fhir["Retry-After"]
    assert is_outcome(fhir, 503)["issue"][0]["code"] == "transient"
    is_outcome(quiet_client.post("/fhir/Observation", "{}", content_type="application/fhir+json",
                                 **auth(token_a)), 503)
    # What needs no database still answers.
    assert quiet_client.get("/fhir/metadata").status_code == 200
    assert quiet_client.get("/api/v1/openapi.json").status_code == 200
