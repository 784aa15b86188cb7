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


def test_the_chart_reads_the_people_it_names_in_one_query(client, clinician, clinic_a,
                                                         patient_a) -> None:
    """Each list on the chart names who recorded its entries (and who marked one entered in
    error). Joined to each list, the user table cost Django more to build and compile than
    the lists themselves (issue 17); the chart now reads every person it names at once."""
    client.force_login(clinician)
    _entries(patient_a, clinic_a, 3, 0)
    weight = Weight.objects.filter(patient=patient_a).first()
    assert weight is not None
    weight.entered_in_error, weight.error_reason = True, "wrong patient"
    weight.error_by = clinician
    weight.save()
    url = f"/patients/{patient_a.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if s.startswith('SELECT "auth_user"')]) == 2, sql  # + sign-in
    assert [s for s in sql if 'JOIN "auth_user"' in s] == []
    for i in range(3):  # the diagnoses and weights of the summary tab name their clerk,
        assert page.count(f"· Clerk{i} Tester</td>") == 2  # by full name, as a note does
    assert f"wrong patient ({clinician.get_full_name()}," in page


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
    # The consent panel lists no intake link and names no one (the consent page does):
    # each consent's document comes from the clinic's documents already read.
    assert "consent_patientlink" not in chart_tables
    consents = [q["sql"] for q in queries.captured_queries if 'FROM "consent_consent"' in q["sql"]]
    assert len(consents) == 1 and " JOIN " not in consents[0], consents


def _statements(client, method: str, data: dict[str, str] | None = None) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        page = getattr(client, method)("/patients/", data)
    assert page.status_code == 200
    return [q["sql"] for q in queries.captured_queries], page.content.decode()


def test_the_list_never_counts_the_clinic_and_still_pages(client, clinician,
                                                          clinic_a) -> None:
    """At 100,000 patients the list's COUNT of the clinic (an index-only scan of every
    patient, 5-9 ms of the database per request) was a fifth of the page's cost, for a
    "Page 1 of 2,002" no one pages through. The header's total is the home page's
    (counted at most once a minute); the pager asks for one row more than it shows."""
    client.force_login(clinician)
    _patients(clinic_a, PAGE_SIZE + 1, 0)
    client.get("/")  # the home page counts the clinic once
    sql, body = _statements(client, "get")
    assert not [s for s in sql if 'COUNT(' in s and 'FROM "patients_patient"' in s], sql
    assert f"{PAGE_SIZE + 1} in" in body
    assert body.count("<tr>") == PAGE_SIZE + 1  # the header row and a full page
    assert 'name="page" value="2"' in body and "Previous" not in body
    second_sql, second = _statements(client, "post", {"q": "", "page": "2"})
    assert not [s for s in second_sql if 'COUNT(' in s and 'FROM "patients_patient"' in s]
    # names sort as text: Rivers9 comes last
    assert second.count("<tr>") == 2 and "Rivers9<" in second.replace("</strong>", "<")
    assert 'name="page" value="1"' in second and 'value="3"' not in second


def test_a_search_says_how_many_match_when_they_fit_on_a_page(client, clinician,
                                                              clinic_a) -> None:
    client.force_login(clinician)
    _patients(clinic_a, PAGE_SIZE + 1, 0)
    sql, body = _statements(client, "post", {"q": "Rivers1"})  # Rivers1, Rivers10..19
    assert not [s for s in sql if 'COUNT(' in s and 'FROM "patients_patient"' in s]
    assert "11 matches" in body and 'name="page"' not in body
    _, many = _statements(client, "post", {"q": "Rivers"})
    assert f"More than {PAGE_SIZE} match" in many and 'name="page" value="2"' in many
