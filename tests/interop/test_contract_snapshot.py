"""The published contracts do not change by accident: the OpenAPI document (/api/v1) and
the FHIR CapabilityStatement (/fhir/metadata) are compared byte for byte with the
snapshots committed in tests/interop/snapshots/.

A deliberate change (a new endpoint, a new search parameter) regenerates them:

    KETACARE_UPDATE_SNAPSHOTS=1 pytest tests/interop/test_contract_snapshot.py

and the snapshot diff goes into the same commit, where a reviewer sees the contract change.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = "KETACARE_UPDATE_SNAPSHOTS"
# The CapabilityStatement is dated the day it is served; the snapshot holds a placeholder.
_DATE = re.compile(rb'"date":"\d{4}-\d{2}-\d{2}"')
_DATE_PLACEHOLDER = b'"date":"YYYY-MM-DD"'


def _pretty(body: bytes) -> list[str]:
    return json.dumps(json.loads(body), indent=1, sort_keys=False).splitlines()


def _matches_snapshot(name: str, body: bytes) -> None:
    path = SNAPSHOTS / name
    if os.environ.get(UPDATE) == "1":
        path.write_bytes(body)
    assert path.exists(), f"no snapshot {path}: run with {UPDATE}=1 to create it"
    expected = path.read_bytes()
    if body != expected:
        diff = "\n".join(difflib.unified_diff(_pretty(expected), _pretty(body), "snapshot",
                                              "served", lineterm="", n=2))
        pytest.fail(f"{name} differs from the committed snapshot (a contract change). If it "
                    f"is deliberate, regenerate with {UPDATE}=1 and commit the snapshot.\n"
                    f"{diff or 'same JSON, different bytes (key order or formatting)'}",
                    pytrace=False)


def test_openapi_document_matches_snapshot(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    _matches_snapshot("openapi.json", response.content)


def test_fhir_capability_statement_matches_snapshot(client) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    body, dates = _DATE.subn(_DATE_PLACEHOLDER, response.content)
    assert dates == 1, "the CapabilityStatement carries exactly one date"
    _matches_snapshot("fhir-capability-statement.json", body)
