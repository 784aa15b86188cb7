"""`count` of the JSON API's lists: told by the page when the page ends the list (no COUNT),
counted otherwise; for /api/v1/patients a full page takes the clinic's total as the home
page counts it (at most a minute old, never fewer than the page shows there are), since
counting 100,000 patients was a third of the request (issue 17)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.patients import counts

from .conftest import auth
from .test_fhir_search_db import bulk_patients

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]


def _list(client, token: str, query: str) -> tuple[dict[str, Any], list[str]]:  # type: ignore[no-untyped-def]
    client.get(f"/api/v1/patients?{query}", **auth(token))  # the token's first use records it
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/patients?{query}", **auth(token))
    assert response.status_code == 200, response.content[:300]
    counted = [q["sql"] for q in ctx.captured_queries
               if "COUNT(" in q["sql"] and '"patients_patient"' in q["sql"]]
    return response.json(), counted


def test_a_page_that_ends_the_list_tells_the_count(client, clinic_a, clinic_b,
                                                   token_a) -> None:
    bulk_patients(clinic_b, 5, prefix="B")
    bulk_patients(clinic_a, 12)
    for query, shown in (("limit=50", 12), ("limit=5&offset=10", 2), ("limit=12", 12)):
        body, counted = _list(client, token_a, query)
        assert (body["count"], len(body["items"]), counted) == (12, shown, []), query


def test_a_full_page_takes_the_clinics_total(client, clinic_a, clinic_b, token_a) -> None:
    bulk_patients(clinic_b, 5, prefix="B")
    bulk_patients(clinic_a, 30)
    cache.clear()
    body, _ = _list(client, token_a, "limit=10")
    assert (body["count"], len(body["items"])) == (30, 10)
    again, counted = _list(client, token_a, "limit=10&offset=10")
    assert (again["count"], counted) == (30, [])  # no count of the clinic while it is fresh


def test_a_stale_total_never_says_fewer_than_the_page_shows(client, clinic_a, token_a) -> None:
    bulk_patients(clinic_a, 30)
    cache.set(counts._key(clinic_a.pk), {"active": 3}, counts.STATUS_COUNTS_SECONDS)
    body, _ = _list(client, token_a, "limit=10&offset=10")
    assert body["count"] == 21  # rows 11-20 shown and at least one more read


def test_a_patient_added_here_is_counted_at_once(client, clinic_a, token_a, prescriber_a,
                                                 django_capture_on_commit_callbacks) -> None:
    from ketacare.accounts.staff import staff_for
    from ketacare.patients import actions

    bulk_patients(clinic_a, 30)
    assert _list(client, token_a, "limit=10")[0]["count"] == 30
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_patient(staff_for(prescriber_a, clinic_a), {
            "mrn": "NEW-1", "given_name": "Ada", "family_name": "Zed",
            "date_of_birth": date(1980, 1, 1), "sex_at_birth": "female",
            "primary_condition": "depression"})
    assert _list(client, token_a, "limit=10")[0]["count"] == 31
