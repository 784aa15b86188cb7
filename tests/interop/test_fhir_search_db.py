"""FHIR search in the database (interop/fhir/query.py) gives the bundles the in-memory
search gave: the implementation it replaced is kept below and both run the same searches
over a few thousand bulk-created patients (ties in _lastUpdated included). The number of
SQL queries of a search does not grow with the page size."""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.staff import Staff, staff_for
from ketacare.interop.fhir import search
from ketacare.interop.fhir.common import uuids
from ketacare.interop.fhir.registry import load
from ketacare.interop.fhir.resources.patient import to_fhir
from ketacare.patients.models import Patient

from . import old_fhir_search as old
from .conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

BASE = "http://testserver/fhir/"
PATIENTS = 3000
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


# --- the in-memory search as it was before query.py (resources/patient.py at 8d555e1);
# the engine is in old_fhir_search.py.

def old_collect(staff: Staff, scope: old.Scope) -> Iterator[old.Entry]:
    rows = Patient.objects.filter(clinic=staff.clinic)
    ids = uuids(scope.ids)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(pk__in=pids)
    for p in rows:
        yield old.Entry(str(p.pk), to_fhir(p), str(p.pk), None, p.updated_at)


# --- data ------------------------------------------------------------------------------

def bulk_patients(clinic: Any, n: int, prefix: str = "") -> list[Patient]:
    """`n` patients with distinct names; _lastUpdated in 40 groups, so many share one."""
    rows = Patient.objects.bulk_create(
        [Patient(clinic=clinic, mrn=f"{prefix}M{i}", given_name=f"Given{i % 53}",
                 family_name=f"{prefix}Family{i // 53:04d}", date_of_birth=date(1980, 1, 1),
                 sex_at_birth="female", email=f"p{i}@example.org" if i % 3 else "")
         for i in range(n)], batch_size=500)
    for group in range(40):
        # Whole seconds for some groups (stored without a fraction), microseconds for others.
        stamp = T0 + timedelta(hours=group * 7, microseconds=(group % 3) * 250_001)
        Patient.objects.filter(pk__in=[p.pk for p in rows[group::40]]).update(updated_at=stamp)
    return rows


@pytest.fixture
def many(clinic_a, clinic_b) -> list[Patient]:  # type: ignore[no-untyped-def]
    bulk_patients(clinic_b, 50, prefix="B")
    return bulk_patients(clinic_a, PATIENTS)


def searches(rows: list[Patient], foreign: Patient) -> list[str]:
    some = [str(p.pk) for p in rows[5:9]]
    return [
        "", "_count=7", "_count=50&_offset=1000", "_count=500&_offset=2800",
        "_sort=_id&_count=30&_offset=90", "_sort=-_id", "_sort=_lastUpdated&_count=100",
        "_sort=-_lastUpdated&_count=100&_offset=2950", "_sort=-_lastUpdated,_id&_count=40",
        "_sort=_lastUpdated,-_id&_offset=61",
        "_lastUpdated=ge2026-03-05&_count=60", "_lastUpdated=lt2026-03-05T11:00:00Z",
        "_lastUpdated=gt2026-03-04&_lastUpdated=le2026-03-08&_sort=-_lastUpdated",
        "_lastUpdated=eq2026-03-02&_count=200", "_lastUpdated=2026-03", "_lastUpdated=le2025",
        "_lastUpdated=ge0001-01-01T00:00:00%2B05:00", "_lastUpdated=lt9999-12-31T23:59:59-05:00",
        f"_id={','.join(some)}", f"_id={some[0].upper()},{some[1]}",
        f"_id={some[2]}&_id={some[2]},{some[3]}", f"_id={foreign.pk}", "_id=not-a-uuid",
        "_count=0", "_count=0&_lastUpdated=ge2026-03-10", "_offset=5000",
        "_total=accurate&_count=7", "_total=estimate&_offset=2000",
        "_totalMethod=count&_count=0", "_total=accurate&_offset=5000",
    ]


def as_counted(expected: dict[str, Any], params: search.SearchParams) -> dict[str, Any]:
    """The in-memory search always gave the exact total; by default the count now stops
    past search.COUNTED_UP_TO matches, so a page that does not end the result has none."""
    total = expected["total"]
    ends = params.offset + len(expected["entry"]) == total
    if params.total == "bounded" and total > search.COUNTED_UP_TO and not ends:
        return {k: v for k, v in expected.items() if k != "total"}
    return expected


def test_database_search_gives_the_bundles_of_the_in_memory_search(
        client, many, clinic_a, clinic_b, prescriber_a, token_a) -> None:
    staff = staff_for(prescriber_a, clinic_a)
    rt = load()["Patient"]
    foreign = Patient.objects.filter(clinic=clinic_b).first()
    assert foreign is not None
    for qs in searches(many, foreign):
        query = QueryDict(qs)
        params = search.parse(query, rt.param_names, set(rt.sorts),
                              zoneinfo.ZoneInfo(clinic_a.time_zone))
        expected = old.bundle(BASE, "Patient", old.run(old_collect, staff, params), params,
                              [(k, v) for k in query for v in query.getlist(k)])
        response = client.get(f"/fhir/Patient?{qs}", **auth(token_a))
        assert response.status_code == 200, (qs, response.content[:300])
        assert response.json() == as_counted(expected, params), qs


def test_the_default_total_is_exact_up_to_the_bound_and_absent_past_it(
        client, clinic_a, token_a) -> None:
    bulk_patients(clinic_a, search.COUNTED_UP_TO + 1)
    full = client.get("/fhir/Patient?_count=10", **auth(token_a)).json()
    assert "total" not in full and full["link"][-1]["relation"] == "next"
    exact = client.get("/fhir/Patient?_count=10&_total=accurate", **auth(token_a)).json()
    assert exact["total"] == search.COUNTED_UP_TO + 1
    # The last page tells the total however many there are; under the bound it is counted.
    last = client.get(f"/fhir/Patient?_count=10&_offset={search.COUNTED_UP_TO - 9}",
                      **auth(token_a)).json()
    assert last["total"] == search.COUNTED_UP_TO + 1 and len(last["entry"]) == 10
    some = client.get("/fhir/Patient?_count=10&_lastUpdated=lt2026-03-01T19:00:00Z",
                      **auth(token_a)).json()
    assert some["total"] == len(range(0, search.COUNTED_UP_TO + 1, 40)) > 10


def test_total_none_skips_the_count_but_still_links_the_next_page(
        client, clinic_a, clinic_b, token_a) -> None:
    bulk_patients(clinic_a, 30)
    full = client.get("/fhir/Patient?_count=10&_offset=10", **auth(token_a)).json()
    lean = client.get("/fhir/Patient?_count=10&_offset=10&_total=none", **auth(token_a)).json()
    assert full["total"] == 30 and "total" not in lean
    assert lean["entry"] == full["entry"]
    assert "next" in {link["relation"] for link in lean["link"]}
    last = client.get("/fhir/Patient?_count=10&_offset=20&_total=none", **auth(token_a)).json()
    assert len(last["entry"]) == 10 and "next" not in {link["relation"] for link in last["link"]}


def _queries(client, url: str, token: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url, **auth(token))  # the token's first use of the minute records it
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **auth(token))
    assert response.status_code == 200, (url, response.content[:300])
    return len(ctx)


@pytest.mark.parametrize("path", ["/fhir/Patient?_count={n}",
                                  "/fhir/Patient?_count={n}&_sort=-_id&_offset=3",
                                  "/fhir/Patient?_count={n}&_lastUpdated=ge2026-03-02",
                                  "/api/v1/patients?limit={n}"])
def test_patient_search_queries_do_not_grow_with_the_page(client, clinic_a, clinic_b,
                                                           token_a, path: str) -> None:
    bulk_patients(clinic_a, 120)
    small, large = (_queries(client, path.format(n=n), token_a) for n in (5, 100))
    assert large <= small, (path, small, large)  # a page that ends the result skips the count


@pytest.mark.parametrize("kind", ["Observation", "Encounter", "MedicationAdministration",
                                  "QuestionnaireResponse", "Consent", "Questionnaire"])
def test_every_search_type_queries_do_not_grow_with_the_page(client, charted, token_a,
                                                             kind: str) -> None:
    pid = charted.patient.pk
    small, large = (_queries(client, f"/fhir/{kind}?_count={n}" + (
        f"&patient={pid}" if kind != "Questionnaire" else ""), token_a) for n in (50, 100))
    assert large <= small, (kind, small, large)


def test_a_count_zero_patient_search_names_the_patients_it_asked_for(
        client, clinic_a, clinic_b, token_a) -> None:
    from ketacare.audit.models import AuditEvent

    rows = bulk_patients(clinic_a, 5)
    wanted = sorted(str(p.pk) for p in rows[:2])
    response = client.get(f"/fhir/Patient?_id={','.join([*wanted, str(uuid.uuid4())])}"
                          "&_count=0", **auth(token_a))
    assert response.json()["total"] == 2
    entry = AuditEvent.objects.filter(action="search").latest("id")
    assert entry.detail["patient_ids"] == wanted and entry.patient_id is None
