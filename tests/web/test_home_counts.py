"""The home page's patients-by-status panel is counted at most once a minute per clinic
(issue 17 item 6): the whole clinic is counted, 100k patients at network scale."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def _count_queries(client) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    return [q["sql"] for q in queries.captured_queries
            if 'COUNT("patients_patient"' in q["sql"]], body


def test_status_counts_are_counted_once_a_minute(signed_in, clinic_a, settings) -> None:
    Patient.objects.create(clinic=clinic_a, mrn="H-1", given_name="Ana", family_name="Lee",
                           date_of_birth=date(1980, 1, 1), sex_at_birth="female")
    counted, body = _count_queries(signed_in)
    assert len(counted) == 1
    assert "<strong>1</strong><span>Referred</span>" in body
    again, _ = _count_queries(signed_in)
    assert again == []
