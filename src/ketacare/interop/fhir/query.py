"""Search in the database for resource types with `Columns`: the filters, `_sort`,
`_count` and `_offset` become one queryset (a stable order: the requested keys, then the
order `collect` yields, then the primary key), the total is counted by the database, and
only the rows of the page are turned into resources. Results are the ones the in-memory
search (engine.py) gives; tests/interop/test_fhir_search_db.py compares the two."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from ketacare.accounts.staff import Staff

from .common import canonical_uuids
from .registry import Columns, Entry
from .search import LAST, DateFilter, SearchParams

FIRST = datetime.min.replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    """As the database compares it; an instant past either end of what a datetime holds
    in UTC (year 1 east of Greenwich, 9999-12-31 west of it) is that end."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return FIRST if value.year == 1 else LAST


def date_q(column: str, f: DateFilter) -> Q:
    """DateFilter.matches as a filter (NULL matches nothing, as None does there)."""
    start, end = _utc(f.start), _utc(f.end)
    if f.prefix == "eq":
        return Q(**{f"{column}__gte": start, f"{column}__lt": end})
    if f.prefix == "lt":
        return Q(**{f"{column}__lt": start})
    if f.prefix == "le":
        return Q(**{f"{column}__lt": end})
    if f.prefix == "gt":
        return Q(**{f"{column}__gte": end})
    return Q(**{f"{column}__gte": start})  # ge


def matching(columns: Columns, staff: Staff, params: SearchParams) -> QuerySet[Any]:
    rows = columns.rows(staff)
    if params.ids is not None:
        rows = rows.filter(columns.ids(params.ids))
    if params.patients is not None:
        rows = rows.filter(**{f"{columns.patient}__in": canonical_uuids(params.patients)})
    for name, filters in (("date", params.dates), ("_lastUpdated", params.last_updated)):
        for f in filters:
            rows = rows.filter(date_q(columns.dates[name], f))
    return rows


def ordered(columns: Columns, rows: QuerySet[Any], params: SearchParams) -> QuerySet[Any]:
    keys = []
    for key, desc in params.sort or [("_lastUpdated", False), ("_id", False)]:
        column = F("pk" if key == "_id" else columns.dates[key])
        # No value sorts last either way, as in the in-memory search.
        keys.append(column.desc(nulls_last=True) if desc else column.asc(nulls_last=True))
    return rows.order_by(*keys, *columns.order)


def page(columns: Columns, staff: Staff, params: SearchParams,
         ) -> tuple[list[Entry], int | None, bool, set[str]]:
    """(entries of the page, total or None when `_total=none`, whether more follow, the
    patients named by the search that have a match)."""
    rows = matching(columns, staff, params)
    want = params.count + (0 if params.total else 1)  # one more row tells if a page follows
    found = list(ordered(columns, rows, params)[params.offset:params.offset + want]) \
        if want else []
    total = rows.count() if params.total else None
    more = (params.offset + params.count < total) if total is not None \
        else len(found) > params.count
    entries = [columns.build(r) for r in found[:params.count]]
    named: set[str] = set()
    if params.patients is not None or (params.ids is not None and columns.patient == "pk"):
        if params.offset == 0 and not more:  # every match is on this page
            named = {e.patient_id for e in entries if e.patient_id}
        else:
            named = {str(p) for p in rows.order_by().values_list(columns.patient, flat=True)
                     .distinct()}
    return entries, total, more, named


def one(columns: Columns, staff: Staff, resource_id: str) -> Entry | None:
    row = columns.rows(staff).filter(columns.ids({resource_id})).first()
    return columns.build(row) if row is not None else None
