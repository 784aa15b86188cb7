"""What a search reads to build a page: a source that lists the columns of its related rows
it reads (`Source.reads`, e.g. the patient of a dose's session's course) leaves the other
columns in the database, and must still build every resource without another query (a
column read and not listed would cost one query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.interop.fhir.registry import Source, load

pytestmark = pytest.mark.django_db


def _sources() -> list[tuple[str, int, Source]]:
    return [(t.name, i, s) for t in load().values() for i, s in enumerate(t.sources)]


def test_the_dose_and_vital_sign_pages_read_only_the_patient_of_the_course() -> None:
    reading = {(name, s.reads) for name, _, s in _sources() if s.reads}
    assert ("MedicationAdministration", ("session__course__patient_id",)) in reading
    assert ("Observation", ("session__course__patient_id",)) in reading


def test_every_source_of_one_table_joins_and_reads_alike() -> None:
    """A page fetches each table's rows once, joined as its first source says."""
    for resource_type in load().values():
        joins: dict[object, set[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for s in resource_type.sources:
            joins.setdefault(s.rows, set()).add((s.related, s.reads))
        assert all(len(j) == 1 for j in joins.values()), resource_type.name


@pytest.fixture
def intake(charted, clinic_a):  # type: ignore[no-untyped-def]
    """Submitted intake answers (QuestionnaireResponse intake-N)."""
    from datetime import timedelta

    from django.utils import timezone

    from ketacare.consent.models import PatientLink

    return PatientLink.objects.create(
        clinic=clinic_a, patient=charted.patient, purpose="intake", token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=1), answers={"Q1": "yes"},
        submitted_at=timezone.now())


@pytest.mark.parametrize(("name", "index", "source"), _sources(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_building_a_joined_row_runs_no_query(charted, intake, staff_a, name: str, index: int,
                                             source: Source) -> None:  # type: ignore[no-untyped-def]
    """Also for sources that join nothing: `select_related()` without names (what an empty
    `related` gave before) joined every foreign key, 6 rows per self-report answer."""
    rows = list(source.joined(source.rows(staff_a).filter(source.where)))
    assert rows, f"{name} source {index}: the fixture has no row to build"
    with CaptureQueriesContext(connection) as queries:
        entries = [source.build(row) for row in rows]
    assert [q["sql"] for q in queries.captured_queries] == []
    assert all(e.patient_id == str(charted.patient.pk) for e in entries)


def test_a_source_that_joins_nothing_selects_its_own_table_only(staff_a) -> None:
    """The self-report answers of a QuestionnaireResponse page came with their request,
    patient and clinic (three times): 6 model rows and 7 JSON decodings per answer."""
    for name, index, source in _sources():
        if source.related:
            continue
        rows = source.joined(source.rows(staff_a))
        selected = str(rows.query).split(" FROM ", 1)[0]
        tables = {column.split(".")[0] for column in selected.removeprefix("SELECT ").split(", ")}
        assert tables == {f'"{rows.model._meta.db_table}"'}, (name, index, tables)
