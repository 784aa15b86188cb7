"""A clinic-wide FHIR search reads its page from indexes (query.py): every table a type is
searched in has an index led by its `_lastUpdated` column or expression (the default
order), and that value is never NULL, so a descending sort reads the same index
backwards. A source added without either would make its type's clinic-wide pages sort
the whole table again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from ketacare.interop.fhir import query
from ketacare.interop.fhir.registry import load

pytestmark = pytest.mark.django_db

SEARCHED = sorted(name for name, rt in load().items() if rt.sources)
ORDER_INDEXES = ("response_submitted_id_text", "vitals_taken_id_text", "weight_updated_id_text")


def leading(index: Any) -> Any:
    """The index's first key, after the clinic (Patient's index is per clinic)."""
    if index.expressions:
        return index.expressions[0]
    fields = [f for f in index.fields if f != "clinic"]
    return F(fields[0])


@pytest.mark.parametrize("kind", SEARCHED)
def test_every_source_of_a_type_sorts_from_an_index(kind: str, staff_a) -> None:  # type: ignore[no-untyped-def]
    assert len(SEARCHED) >= 6  # Patient, Observation, Encounter, ... (the registry loaded)
    for source in load()[kind].sources:
        rows = source.rows(staff_a)
        model = rows.model
        value = query._column(source.updated, staff_a)
        assert query._never_null(rows, value), (kind, model.__name__)
        assert any(leading(index) == value for index in model._meta.indexes), \
            (kind, model.__name__, value)


def test_a_nullable_column_is_not_taken_as_never_null() -> None:
    from django.db.models.functions import Coalesce, Greatest

    from ketacare.treatment.models import Dose, Session

    doses, sessions = Dose.objects.all(), Session.objects.all()
    assert not query._never_null(doses, "stopped_at")
    assert query._never_null(doses.filter(stopped_at__isnull=False), "stopped_at")
    assert not query._never_null(doses.filter(stopped_at__isnull=True), "stopped_at")
    assert not query._never_null(doses.filter(session__signed_at__isnull=False), "stopped_at")
    assert query._never_null(doses, Coalesce("stopped_at", "started_at"))
    assert not query._never_null(sessions, Greatest("checked_in_at", "created_at"))
    assert not query._never_null(sessions, "course__created_at")  # another table's


@pytest.mark.parametrize("sort", ["_lastUpdated", "-_lastUpdated"])
def test_a_clinic_wide_page_reads_the_index_in_either_direction(sort: str, staff_a) -> None:  # type: ignore[no-untyped-def]
    """Each part of the page's statement over every Observation table reads its index in
    the order asked for, sorting at most the ties after it (PostgreSQL planned with
    sorting and whole-table scans made prohibitively dear, as on a large clinic)."""
    from django.http import QueryDict

    from ketacare.interop.fhir import search

    rt = load()["Observation"]
    params = search.parse(QueryDict(f"_sort={sort}&_count=50"), rt.param_names, set(rt.sorts))
    parts, _, _ = query._union(list(rt.sources), staff_a, params)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        for part in parts:
            sql, args = part.rows.query.sql_with_params()
            explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
            cursor.execute(f"{explain} SELECT * FROM ({sql} ORDER BY {part.order} "  # noqa: S608
                           "LIMIT 51) p", args)
            lines = [str(row[0] if postgres else row[-1]) for row in cursor.fetchall()]
            plan = "\n".join(lines)
            if not postgres:
                # SQLite keeps no statistics and sorts the clinic's rows; it must still
                # reach them through indexes, never by scanning a whole table.
                assert not any(line.startswith("SCAN ") for line in lines), plan
                continue
            scan = "Index Scan Backward using" if sort.startswith("-") else "Index Scan using"
            assert any(f"{scan} {index} on" in plan for index in ORDER_INDEXES), plan
            # Ties of the first key may be sorted (Incremental Sort), the part never whole.
            assert not any(re.match(r"\s*(->\s+)?Sort\s+\(", line) for line in lines), plan


@pytest.mark.parametrize("kind", [k for k in SEARCHED if len(load()[k].sources) > 1])
def test_a_union_part_selects_only_what_varies_by_row(kind: str, staff_a) -> None:  # type: ignore[no-untyped-def]
    """The constants of a union's rows (which source and table, the id keys of ids that
    are the key itself, the other tables' tie-break NULLs) are written around the parts,
    not compiled into each: as annotations they cost more to build and compile than the
    rest of a clinic-wide Observation search (session 13, docs/performance.md). The
    result is the same: test_fhir_search_db*.py."""
    from django.http import QueryDict

    from ketacare.interop.fhir import search

    rt = load()[kind]
    params = search.parse(QueryDict("_count=50"), rt.param_names, set(rt.sorts))
    parts, slots, order = query._union(list(rt.sources), staff_a, params)
    assert len(parts) == len(rt.sources)
    for part in parts:
        own = {slot.name for slot in slots if slot.table == part.table}
        selected = set(part.rows.query.values_select) | set(part.rows.query.annotation_select)
        keyed = {"_kt"} if "_kt" in part.order else set()
        assert selected == {"_pk", "_patient", "_when", "_updated",
                            "_k2" if part.prefixed else "_k1", *keyed, *own}, selected
        outer = query._union_columns(part, slots, "p")
        assert [c.rsplit(" AS ", 1)[1] for c in outer.split(", ")] == [
            connection.ops.quote_name(name) for name in (*query.SHARED, *(s.name for s in slots))]


def test_the_default_order_reads_each_part_from_an_index_without_sorting(staff_a) -> None:  # type: ignore[no-untyped-def]
    """The default order (`_lastUpdated`, then `_id`) of a clinic-wide Observation page:
    each part (self-reports, vital signs, weights) reads its rows in that order from its
    table's index on (time, the key's text), so it stops at the rows the page takes. Sorted by the id's
    text instead, each part sorted a batch of at least 32 rows per part, joined through to
    the clinic, for the one or two rows the merge took (session 13, docs/performance.md)."""
    from django.http import QueryDict

    from ketacare.interop.fhir import search

    rt = load()["Observation"]
    params = search.parse(QueryDict("_count=50"), rt.param_names, set(rt.sorts))
    parts, _, _ = query._union(list(rt.sources), staff_a, params)
    keyed = [part for part in parts if "_kt" in part.order]
    assert len(keyed) == 7  # two self-report sources, four vital signs, weights
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        for part in keyed:
            sql, args = part.rows.query.sql_with_params()
            cursor.execute(f"EXPLAIN SELECT * FROM ({sql} ORDER BY {part.order} "  # noqa: S608
                           "LIMIT 51) p", args)
            plan = "\n".join(str(row[0]) for row in cursor.fetchall())
            assert any(f"Index Scan using {index} on" in plan for index in ORDER_INDEXES), plan
            assert "Sort" not in plan, plan
