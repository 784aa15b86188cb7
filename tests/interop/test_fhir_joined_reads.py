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
    return [(t.name, i, s) for t in load().values() for i, s in enumerate(t.sources) if s.related]


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


@pytest.mark.parametrize(("name", "index", "source"), _sources(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_building_a_joined_row_runs_no_query(charted, staff_a, name: str, index: int,
                                             source: Source) -> None:  # type: ignore[no-untyped-def]
    rows = list(source.joined(source.rows(staff_a).filter(source.where)))
    assert rows, f"{name} source {index}: the fixture has no row to build"
    with CaptureQueriesContext(connection) as queries:
        entries = [source.build(row) for row in rows]
    assert [q["sql"] for q in queries.captured_queries] == []
    assert all(e.patient_id == str(charted.patient.pk) for e in entries)
