"""The patient list's search reads an index on PostgreSQL, not every patient of the clinic
(issue 17 item 6): shown with EXPLAIN on 12,000 patients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.paginator import Paginator
from django.db import connection

from ketacare.accounts.staff import staff_for
from ketacare.patients.access import patients_of
from ketacare.patients.models import Patient
from ketacare.patients.views import PAGE_SIZE, search

pytestmark = pytest.mark.django_db

SURNAMES = ["Abbott", "Barnes", "Castillo", "Dunn", "Ellis", "Fischer", "Garza", "Hughes",
            "Ibarra", "Jensen", "Kowalski", "Lindqvist", "Moreno", "Nakamura", "Okafor",
            "Petrov", "Quinn", "Rivera", "Santos", "Tanaka"]


def _patients(clinic, n: int, family_name: Callable[[int], str]) -> None:
    """`n` patients of `clinic`, the i-th named `family_name(i)`, and fresh statistics."""
    Patient.objects.bulk_create(
        (Patient(clinic=clinic, mrn=f"M{i:06d}", given_name=f"Given{i % 997}",
                 family_name=family_name(i),
                 date_of_birth=date(1960, 1, 1) + timedelta(days=i % 15000),
                 sex_at_birth="female") for i in range(n)), batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")


def test_search_uses_the_name_prefix_indexes(clinic_a, prescriber_a) -> None:
    _patients(clinic_a, 12_000, lambda i: f"{SURNAMES[i % 20]}{i // 20}")
    staff = staff_for(prescriber_a, clinic_a)
    matches = search(patients_of(staff), "Rivera12")
    page = Paginator(matches, PAGE_SIZE).get_page(1)
    assert {p.family_name for p in page} == {"Rivera12", *(f"Rivera12{d}" for d in range(10))}
    if connection.vendor != "postgresql":
        # SQLite: no prefix index (its LIKE is case-blind already), but never a scan of
        # every clinic's patients: the clinic's rows are found through an index.
        plan = matches.explain()
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        return
    for plan in (matches.explain(), matches[:PAGE_SIZE].explain(),
                 matches.values("pk").explain()):
        assert "patient_family_name_prefix" in plan, plan
        assert "Seq Scan on patients_patient" not in plan, plan
    # Given name and MRN, the other two ways a nurse finds a patient.
    assert "patient_given_name_prefix" in search(patients_of(staff), "given99").explain()
    assert "patient_mrn_prefix" in search(patients_of(staff), "m00012").explain()


def test_a_common_surname_is_found_through_its_index_not_by_walking_the_list(
        clinic_a, prescriber_a) -> None:
    """At 100,000 patients a search for a common surname late in the alphabet ("Lewis",
    1% of the clinic) took 65-90 ms: the planner, asked for the first 50 in list order,
    walked the (clinic, family_name, given_name) index from "A" and filtered half the
    clinic. Search results are ordered case-blind, an order no index holds, so the
    matches are found through the prefix indexes and only they are sorted."""
    _patients(clinic_a, 30_000, lambda i: SURNAMES[i % 20] if i % 10 else "Zimmer")
    staff = staff_for(prescriber_a, clinic_a)
    matches = search(patients_of(staff), "zimmer")
    page = list(matches[:PAGE_SIZE])
    assert len(page) == PAGE_SIZE and {p.family_name for p in page} == {"Zimmer"}
    assert [p.given_name.lower() for p in page] == sorted(p.given_name.lower() for p in page)
    if connection.vendor == "postgresql":
        plan = matches[:PAGE_SIZE].explain()
        assert "patient_family_name_prefix" in plan, plan
        assert "patients_pa_clinic__a68b85_idx" not in plan, plan
