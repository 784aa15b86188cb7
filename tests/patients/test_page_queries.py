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
