"""The patient list and the patient chart run the same number of SQL statements whatever
they show (issue 17 item 2): the list at a few patients and at a full page, each chart tab
with one entry of each kind and with many, recorded by several members of staff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.conftest import make_staff

from ketacare.patients.models import Diagnosis, Medication, Patient, PriorTreatment, Weight
from ketacare.patients.views import PAGE_SIZE, TABS

pytestmark = pytest.mark.django_db


def _count(client, method: str, url: str, data: dict[str, str] | None = None) -> int:
    getattr(client, method)(url, data)  # warm: first-use caches
    with CaptureQueriesContext(connection) as queries:
        assert getattr(client, method)(url, data).status_code == 200
    return len(queries)


def _patients(clinic, n: int, start: int) -> None:
    Patient.objects.bulk_create(
        Patient(clinic=clinic, mrn=f"Q-{start + i:05d}", given_name=f"Given{i}",
                family_name=f"Rivers{i}", date_of_birth=date(1970, 1, 1) + timedelta(days=i),
                sex_at_birth="female", primary_condition="depression")
        for i in range(n))


def test_list_and_search_queries_do_not_grow_with_the_page(client, clinician,
                                                           clinic_a) -> None:
    client.force_login(clinician)
    _patients(clinic_a, 3, 0)
    few = (_count(client, "get", "/patients/"),
           _count(client, "post", "/patients/", {"q": "Rivers"}))
    _patients(clinic_a, PAGE_SIZE + 10, 100)
    assert (_count(client, "get", "/patients/"),
            _count(client, "post", "/patients/", {"q": "Rivers"})) == few


def _entries(patient, clinic, n: int, start: int) -> None:
    for i in range(start, start + n):
        who = make_staff(f"clerk{i}", clinic, "prescriber")
        day = date(2024, 1, 1) + timedelta(days=i)
        Weight.objects.create(patient=patient, recorded_by=who, weight_kg=80 + i,
                              measured_on=day)
        Diagnosis.objects.create(patient=patient, recorded_by=who, icd10_code=f"F33.{i % 10}",
                                 description="Major depressive disorder, recurrent",
                                 condition="depression")
        Medication.objects.create(patient=patient, recorded_by=who, name=f"drug {i}",
                                  category="benzodiazepine", started_on=day)
        PriorTreatment.objects.create(patient=patient, recorded_by=who, kind="antidepressant",
                                      name=f"ssri {i}", started_on=day, outcome="none")


def test_chart_queries_do_not_grow_with_the_entries(client, clinician, clinic_a,
                                                     patient_a) -> None:
    client.force_login(clinician)
    url = f"/patients/{patient_a.pk}/?tab="
    _entries(patient_a, clinic_a, 1, 0)
    few = {tab: _count(client, "get", url + tab) for tab in TABS}
    _entries(patient_a, clinic_a, 6, 1)
    assert {tab: _count(client, "get", url + tab) for tab in TABS} == few


# Read once per request by the sign-in, two-factor and role middleware, on every page.
_PER_REQUEST = {"django_session", "auth_user", "accounts_membership", "otp_totp_totpdevice",
                "otp_static_staticdevice"}


def test_the_chart_reads_each_of_its_tables_once(client, demo) -> None:
    """At 100,000 patients the chart cost ~37 ms, most of it Django building 28 statements;
    it read the consent documents three times, the patient's consents and screenings
    twice, and the clinic again though the sign-in had read it. A demo patient in
    treatment, with consents and screenings: every table the chart itself reads, once."""
    from django.contrib.auth import get_user_model

    patient = Patient.objects.filter(clinic=demo["Demo Clinic"], courses__isnull=False,
                                     consents__isnull=False, screenings__isnull=False).first()
    assert patient is not None
    client.force_login(get_user_model().objects.get(username="demo-prescriber"))
    url = f"/patients/{patient.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200 and "Consent" in page.content.decode()
    # The two counts in the navigation bar are on every page too.
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0].strip('"')
              for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")
              and " FROM " in q["sql"] and "COUNT(*)" not in q["sql"]]
    chart_tables = [t for t in tables if t not in _PER_REQUEST]
    repeated = sorted({t for t in chart_tables if chart_tables.count(t) > 1})
    assert repeated == [], "\n".join(chart_tables)
    assert "accounts_clinic" not in chart_tables
