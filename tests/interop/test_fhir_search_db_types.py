"""FHIR search in the database for every type with rows (Encounter, MedicationAdministration,
Observation, QuestionnaireResponse with intake answers, Consent) gives the bundles the
in-memory search gave (kept in old_fhir_search.py): the same few dozen searches over a few
thousand resources cloned from the charted patient's rows, with ties in every date, both
kinds of QuestionnaireResponse ids, weights either side of a daylight-saving change, and
rows of another clinic. The number of SQL queries does not grow with the page size."""

from __future__ import annotations

import copy
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.http import QueryDict

from ketacare.accounts.staff import staff_for
from ketacare.consent.models import Consent, PatientLink, Purpose
from ketacare.interop.fhir import search
from ketacare.interop.fhir.registry import load
from ketacare.patients.models import Patient, Weight
from ketacare.treatment.models import Course, Dose, Session, VitalSigns

from . import old_fhir_search as old
from .conftest import auth
from .test_fhir_search_db import BASE, _queries, as_counted, bulk_patients

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

PATIENTS = 150
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def stamp(i: int) -> datetime:
    """17 groups 11 hours apart (many rows share one), some with a fraction of a second."""
    return T0 + timedelta(hours=(i % 17) * 11, microseconds=(i % 3) * 250_001)


def clones(row: Model, n: int, change: Any) -> list[Any]:
    out = []
    for i in range(n):
        new = copy.copy(row)
        new.pk = None
        new._state = copy.copy(row._state)
        new._state.adding = True
        change(new, i)
        out.append(new)
    return out


def spread(charted: Any, patients: list[Patient]) -> None:
    """Rows of every kind for `patients`, cloned from the charted patient's."""
    ready = charted.patient
    course = charted.session.course
    courses = Course.objects.bulk_create(clones(
        course, len(patients), lambda c, i: setattr(c, "patient", patients[i])))
    for i, c in enumerate(courses):
        Course.objects.filter(pk=c.pk).update(created_at=stamp(i) - timedelta(days=3))

    def session(s: Session, i: int) -> None:
        s.course, s.number = courses[i // 2], i % 2 + 1
        s.planned_date = date(2026, 3, 1) + timedelta(days=i % 13)
        s.checked_in_at = stamp(i) if i % 4 else None
        s.discharged_at = stamp(i + 5) + timedelta(hours=3) if i % 4 == 3 else None
        s.signed_at = stamp(i + 1) + timedelta(days=1) if i % 8 == 7 else None
    sessions = Session.objects.bulk_create(clones(charted.session, 2 * len(courses), session))
    held = [s for s in sessions if s.checked_in_at is not None]

    def dose(d: Dose, i: int) -> None:
        d.session, d.started_at = held[i], stamp(i + 2)
        d.stopped_at = stamp(i + 2) + timedelta(minutes=40) if i % 3 else None
        d.drug = ("racemic_ketamine", "esketamine", "other")[i % 3]
    Dose.objects.bulk_create(clones(charted.dose, len(held), dose))

    vitals = charted.session.vitals.first()

    def vital(v: VitalSigns, i: int) -> None:
        v.session, v.taken_at = held[i // 2], stamp(i + 3)
        v.sbp, v.dbp = (None, None) if i % 5 == 0 else (120 + i % 9, 80 if i % 7 else None)
        v.spo2 = None if i % 4 == 1 else 97
    VitalSigns.objects.bulk_create(clones(vitals, 2 * len(held), vital))

    for i, patient in enumerate(patients):
        base = charted.phq9 if i % 2 else charted.gad7
        request = copy.copy(base.request)
        request.pk, request.patient, request._state = None, patient, copy.copy(base._state)
        request._state.adding = True
        request.save()
        response = clones(base, 1, lambda r, _: None)[0]
        response.request, response.patient = request, patient
        response.submitted_at = stamp(i + 4)
        if i % 6 == 1:
            response.identifier_system, response.identifier_value = "urn:sys", f"r{i % 4}"
        response.save()

    weight = Weight.objects.filter(patient=ready).first()
    assert weight is not None

    def weigh(w: Weight, i: int) -> None:
        w.patient, w.measured_on = patients[i], date(2026, 3, 1) + timedelta(days=i % 15)
        w.identifier_system, w.identifier_value = ("urn:w", f"w{i % 5}") if i % 4 == 0 \
            else ("", "")
    weights = Weight.objects.bulk_create(clones(weight, len(patients), weigh))
    for i, w in enumerate(weights):
        Weight.objects.filter(pk=w.pk).update(
            recorded_at=stamp(i + 6),
            error_at=stamp(i + 9) + timedelta(days=2) if i % 9 == 0 else None)

    consent = Consent.objects.filter(patient=ready).first()
    assert consent is not None

    def sign(c: Consent, i: int) -> None:
        c.patient, c.signed_at = patients[i], stamp(i + 7)
        c.withdrawn_at = stamp(i + 8) + timedelta(days=1) if i % 5 == 0 else None
    Consent.objects.bulk_create(clones(consent, len(patients) // 2, sign))

    PatientLink.objects.bulk_create([
        PatientLink(clinic=p.clinic, patient=p, purpose=Purpose.INTAKE, token_hash=f"h{p.pk}",
                    expires_at=T0 + timedelta(days=30), answers={"contact:phone": "555"},
                    submitted_at=stamp(i + 10) if i % 7 else None)
        for i, p in enumerate(patients[::3])])


@pytest.fixture
def data(charted, clinic_a, clinic_b) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    spread(charted, bulk_patients(clinic_b, 6, prefix="B"))
    rows = bulk_patients(clinic_a, PATIENTS)
    spread(charted, rows)
    foreign = Patient.objects.filter(clinic=clinic_b).first()
    return {"rows": rows, "foreign": foreign}


COMMON = ["", "_count=7", "_count=50&_offset=100", "_sort=_id&_count=30&_offset=20",
          "_sort=-_id&_count=40", "_sort=_lastUpdated&_count=100",
          "_sort=-_lastUpdated,_id&_count=25&_offset=5", "_sort=-_lastUpdated&_count=60",
          "_lastUpdated=ge2026-03-05&_count=60", "_lastUpdated=lt2026-03-03T10:00:00Z",
          "_lastUpdated=gt2026-03-02&_lastUpdated=le2026-03-06&_sort=-_id", "_count=0",
          "_offset=100000", "_total=accurate&_count=30&_offset=60", "patient={p1}",
          "patient={p1},{p2}&_sort=-_lastUpdated",
          "subject=Patient/{p3}&_sort=_id", "patient={foreign}", "_id={ids}",
          "_id={ids}&_sort=-_id&_count=2", "_id=12x,0,-1,sr-,intake-,wt-0{one}",
          "_id=12x,sr-,intake-,wt-01"]
DATED = ["_sort=date&_count=100", "_sort=-date,_id&_count=50&_offset=30", "date=2026-03",
         "date=ge2026-03-07&_sort=date", "date=lt2026-03-03T05:00:00Z&_sort=-date",
         "date=eq2026-03-08&_sort=date", "date=le2026-03-09&date=gt2026-03-07",
         "patient={p1},{p2}&_sort=-date"]
EXTRA = {
    "Observation": ["code=http://loinc.org|8867-4&_count=40", "code=8480-6",
                    "code=44261-6,29463-7&_sort=date", "code=44260-8,85354-9&_sort=-_id",
                    "code=70274-6&patient={p1},{p2},{p3}", "code=urn:x|59408-5",
                    "identifier=urn:w|w1", "identifier=w2&_sort=date", "identifier=r1",
                    "_id=sr-{n}-total,sr-{n}-item9,vs-{n}-bp,vs-{n}-hr,wt-{n}&_sort=_id"],
    "MedicationAdministration": [
        "code=http://www.nlm.nih.gov/research/umls/rxnorm|2103181",
        "code=6130&_sort=-date", "code=other"],
    "QuestionnaireResponse": ["code=http://loinc.org|44249-1", "code=ketacare-intake&_sort=_id",
                              "identifier=urn:sys|r1", "identifier=r3&_sort=-date",
                              "_id=intake-{n},{n},intake-0{n}&_sort=-_id"],
}


def searches(kind: str, data: dict[str, Any], ids: list[str]) -> list[str]:
    rows = data["rows"]
    out = COMMON + (DATED if "date" in load()[kind].param_names else []) + EXTRA.get(kind, [])
    values = {"p1": rows[3].pk, "p2": rows[40].pk, "p3": rows[81].pk, "foreign":
              data["foreign"].pk, "ids": ",".join(ids[5:200:17]), "one": "," + ids[0],
              "n": ids[len(ids) // 2].split("-")[-1] if kind != "Observation"
              else ids[len(ids) // 2].split("-")[1]}
    return [s.format(**values) for s in out]


@pytest.mark.parametrize("kind", ["Observation", "Encounter", "MedicationAdministration",
                                  "QuestionnaireResponse", "Consent"])
def test_database_search_gives_the_bundles_of_the_in_memory_search(
        client, data, clinic_a, prescriber_a, token_a, kind: str) -> None:
    staff = staff_for(prescriber_a, clinic_a)
    rt = load()[kind]
    zone = zoneinfo.ZoneInfo(clinic_a.time_zone)
    everything = old.run(old.COLLECT[kind], staff, search.parse(QueryDict("_count=500"),
                                                                 rt.param_names, set(rt.sorts)))
    assert everything.total > 70
    ids = [e.id for e in everything.entries]
    for qs in searches(kind, data, ids):
        query = QueryDict(qs)
        params = search.parse(query, rt.param_names, set(rt.sorts), zone)
        expected = old.bundle(BASE, kind, old.run(old.COLLECT[kind], staff, params), params,
                              [(k, v) for k in query for v in query.getlist(k)])
        response = client.get(f"/fhir/{kind}?{qs}", **auth(token_a))
        assert response.status_code == 200, (qs, response.content[:300])
        got = response.json()
        assert [e["fullUrl"] for e in got["entry"]] == \
            [e["fullUrl"] for e in expected["entry"]], qs
        assert got == as_counted(expected, params), qs


@pytest.mark.parametrize("kind", ["Observation", "Encounter", "MedicationAdministration",
                                  "QuestionnaireResponse", "Consent"])
def test_search_queries_do_not_grow_with_the_page(client, data, token_a, kind: str) -> None:
    """Clinic-wide and for two patients, pages of 150 and 400: one query per table on the
    page (Observation: self-report, vital signs, weights), each table on both pages."""
    p1, p2 = data["rows"][3].pk, data["rows"][40].pk
    for path in (f"/fhir/{kind}?_count={{n}}", f"/fhir/{kind}?_count={{n}}&_sort=-date"
                 if kind != "Consent" else f"/fhir/{kind}?_count={{n}}&_offset=3",
                 f"/fhir/{kind}?_count={{n}}&patient={p1},{p2}&_offset=1"):
        small, large = (_queries(client, path.format(n=n), token_a) for n in (150, 400))
        assert large <= small, (path, small, large)  # a page that ends the result skips the count


@pytest.mark.parametrize("offset", [10**30, 2**63 - 1, 2**63 - 5])
@pytest.mark.parametrize("kind", ["Patient", "Observation", "Encounter"])
def test_an_offset_past_any_table_is_an_empty_page(client, charted, token_a, kind: str,
                                                    offset: int) -> None:
    """PostgreSQL refuses an OFFSET or LIMIT past bigint (found by test_fuzz_searches); the
    union's parts are limited to `_offset` + `_count` + 1 rows, which must not pass it."""
    response = client.get(f"/fhir/{kind}?_offset={offset}", **auth(token_a))
    assert response.status_code == 200, response.content[:300]
    assert response.json()["entry"] == [] and response.json()["total"] >= 1


def test_a_union_is_compiled_once_per_shape_and_bound_to_each_search(
        client, data, clinic_a, clinic_b, prescriber_a, token_a, token_b,
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Observation searches by one patient: three patients of clinic A share one compiled
    union (query._union_sql), each bound to its own patient, and each gives the in-memory
    search's bundle; clinic B gets a union of its own, in which A's patient matches
    nothing. Clinic-wide pages likewise: one union per clinic, each its own rows."""
    from ketacare.interop.fhir import query

    built: list[int] = []
    compile_union = query._compiled
    monkeypatch.setattr(query, "_SHAPES", {})
    monkeypatch.setattr(query, "_compiled",
                        lambda *args: built.append(1) or compile_union(*args))
    clinic_b.time_zone = clinic_a.time_zone  # so that only the clinic tells the shapes apart
    clinic_b.save(update_fields=["time_zone"])
    staff = staff_for(prescriber_a, clinic_a)
    rt = load()["Observation"]
    zone = zoneinfo.ZoneInfo(clinic_a.time_zone)
    seen = set()
    for row in (data["rows"][3], data["rows"][40], data["rows"][81]):
        qs = f"patient={row.pk}&_sort=-date"
        params = search.parse(QueryDict(qs), rt.param_names, set(rt.sorts), zone)
        expected = old.run(old.COLLECT["Observation"], staff, params)
        got = client.get(f"/fhir/Observation?{qs}", **auth(token_a)).json()
        urls = [e["fullUrl"] for e in got["entry"]]
        assert urls == [f"{BASE}Observation/{e.id}" for e in expected.entries], qs
        assert urls and {e["resource"]["subject"]["reference"] for e in got["entry"]} == {
            f"Patient/{row.pk}"}
        seen.add(tuple(urls))
    assert len(seen) == 3 and len(built) == 1
    other = client.get(f"/fhir/Observation?patient={data['rows'][3].pk}&_sort=-date",
                       **auth(token_b)).json()
    assert other["entry"] == [] and other["total"] == 0 and len(built) == 2
    for token, clinic in ((token_a, clinic_a), (token_b, clinic_b)):
        page = client.get("/fhir/Observation?_count=200", **auth(token)).json()
        subjects = {e["resource"]["subject"]["reference"] for e in page["entry"]}
        assert subjects and subjects <= {
            f"Patient/{p.pk}" for p in Patient.objects.filter(clinic=clinic)}
    assert len(built) == 4
