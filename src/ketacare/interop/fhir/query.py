"""Search in the database for resource types with sources (registry.Source): the filters,
`_sort`, `_count` and `_offset` become one query (a source's queryset, or the UNION ALL of
a type's sources), in a stable order: the requested keys, then the order the rows of each
table come in, then the key. The total is counted by the database (up to
search.COUNTED_UP_TO matches unless the client asks for the exact one), and only the rows
of the page are turned into resources (one query per table on the page).
tests/interop/test_fhir_search_db*.py compare the results with the in-memory search this
replaced."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    Func,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.db.models.lookups import IsNull

from ketacare.accounts.staff import Staff
from ketacare.compiled_reads import Slots, bound, key_slots, uuid_markers
from ketacare.ids import MAX_ID, CodePoint, KeyText

from ..paging import told_by_page
from .common import canonical_uuids, identifier_q
from .registry import Column, Entry, Source
from .search import COUNTED_UP_TO, LAST, DateFilter, SearchParams

FIRST = datetime.min.replace(tzinfo=UTC)
# Columns every source gives in a UNION: which source and table, the row, the patient, the
# dates, and the id's sort key (numbers in number order before other ids in text order).
ID_KEYS = ("_k0", "_k1", "_k2")
SHARED = ("_s", "_t", "_pk", "_patient", "_when", "_updated", *ID_KEYS)


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


def _pk(source: Source, value: str) -> int | None:
    """The row of `prefix + pk + suffix`, as the id is written (no leading zero)."""
    head, tail = source.prefix, source.suffix
    if not (value.startswith(head) and value.endswith(tail)):
        return None
    middle = value[len(head):len(value) - len(tail)]
    if middle.isascii() and middle.isdigit() and str(int(middle)) == middle \
            and int(middle) <= MAX_ID:
        return int(middle)
    return None


def with_ids(source: Source, ids: set[str]) -> Q:
    if source.ids is not None:
        return source.ids(ids)
    return Q(pk__in=[pk for pk in (_pk(source, v) for v in ids) if pk is not None])


def _column(value: Column | None, staff: Staff) -> Any:
    if value is None:
        return Value(None, output_field=DateTimeField())
    return F(value) if isinstance(value, str) else value(staff)


def _prefixed(source: Source) -> bool:
    """Whether the source's ids are text around the row's key (else the key itself)."""
    return bool(source.prefix or source.suffix or source.ids)


def _id_text(source: Source) -> Any:
    """The id as text, in code point order whatever the database's collation. Plain `||`:
    neither part can be NULL, and Concat's NULL guards cost more to compile than to run."""
    return CodePoint(Func(Value(source.prefix), Cast("pk", CharField()), Value(source.suffix),
                          template="(%(expressions)s)", arg_joiner=" || ",
                          output_field=CharField()))


def _id_keys(source: Source) -> dict[str, Any]:
    if not _prefixed(source):
        return {"_k0": Value(0), "_k1": F("pk"), "_k2": Value("")}
    return {"_k0": Value(1), "_k1": Value(0), "_k2": _id_text(source)}


def matching(source: Source, staff: Staff, params: SearchParams,
             base: QuerySet[Any] | None = None) -> QuerySet[Any] | None:
    """The source's rows that match, or None when none can; `base`: `source.rows(staff)`
    when the caller has it (a union's sources of one table share it)."""
    rows = (source.rows(staff) if base is None else base).filter(source.where)
    if params.codes is not None:
        codes = source.codes(params.codes) if source.codes is not None else None
        if codes is None:
            return None
        rows = rows.filter(codes)
    if params.identifiers is not None:
        if not source.identifier:
            return None
        rows = rows.filter(identifier_q(params.identifiers))
    if params.ids is not None:
        rows = rows.filter(with_ids(source, params.ids))
    if params.patients is not None:
        rows = rows.filter(**{f"{source.patient}__in": canonical_uuids(params.patients)})
    rows = rows.annotate(_when=_column(source.when, staff),
                         _updated=_column(source.updated, staff))
    for name, filters in (("_when", params.dates), ("_updated", params.last_updated)):
        for f in filters:
            rows = rows.filter(date_q(name, f))
    return rows


def _sort(params: SearchParams) -> list[tuple[str, bool]]:
    """The requested sort keys, or the default (`_lastUpdated`, then `_id`)."""
    return params.sort or [("_lastUpdated", False), ("_id", False)]


def _requested(params: SearchParams, id_keys: tuple[str, ...],
               dense: frozenset[str] = frozenset()) -> list[Any]:
    """The requested sort; no value sorts last either way, as in the in-memory search.
    Columns in `dense` are never NULL, so they need no NULLS clause (see `_dense`)."""
    terms = []
    for key, desc in _sort(params):
        names = id_keys if key == "_id" else ("_when" if key == "date" else "_updated",)
        for n in names:
            nulls = {} if n in dense else {"nulls_last": True}
            terms.append(F(n).desc(**nulls) if desc else F(n).asc(**nulls))
    return terms


def _never_null(rows: QuerySet[Any], value: Any) -> bool:
    """Whether a column of the rows, or an expression over them, can never be NULL: the
    column is NOT NULL, or the rows are filtered to those where it is not."""
    if isinstance(value, F):
        value = value.name  # type: ignore[attr-defined]  # (django-stubs omit it)
    if isinstance(value, str):
        if "__" in value:
            return False
        if not rows.model._meta.get_field(value).null:
            return True
        where = rows.query.where
        return where.connector == "AND" and not where.negated and any(
            isinstance(c, IsNull) and c.rhs is False and c.lhs.target.name == value
            and c.lhs.alias == rows.query.base_table for c in where.children)
    if isinstance(value, Cast):
        return _never_null(rows, value.get_source_expressions()[0])
    if isinstance(value, Coalesce):
        return any(_never_null(rows, e) for e in value.get_source_expressions())
    if isinstance(value, Greatest):  # SQLite's MAX is NULL when any argument is
        return all(_never_null(rows, e) for e in value.get_source_expressions())
    return False


def _dense(source: Source, rows: QuerySet[Any], staff: Staff) -> frozenset[str]:
    """The sort columns of a source's matching `rows` that are never NULL: the id keys,
    and `_when` and `_updated` when their columns cannot be. Sorting those without NULLS
    LAST gives the same order, and lets PostgreSQL read a descending sort backwards from
    the index on the column (an index gives ASC NULLS LAST forwards, DESC NULLS FIRST
    backwards)."""
    named = [("_when", source.when), ("_updated", source.updated)]
    return frozenset({"pk", "_kt", *ID_KEYS} | {
        name for name, value in named if value is not None
        and _never_null(rows, value if isinstance(value, str) else value(staff))})


class Slot(NamedTuple):
    """A tie-break column of a UNION: `column` of table `table`, one term of its order;
    NULL (cast to `null_type`) in the other tables' rows."""
    name: str
    table: int
    column: str
    descending: bool
    null_type: str


class Part(NamedTuple):
    """One source's matching rows in a UNION: its queryset (the columns that vary by row),
    its ORDER BY, and the constants the union gives each of its rows."""
    rows: QuerySet[Any]
    order: str
    source: int
    table: int
    prefixed: bool


def _slots(sources: list[Source], bases: list[QuerySet[Any]]) -> list[Slot]:
    """The tie-break columns of a UNION: each table's `order`, one column per term (their
    order comes after `_t`, so the other tables' NULLs never compare); `bases`: each
    table's rows."""
    out = []
    for t, rows in enumerate(_tables(sources)):
        model = bases[t].model
        first = next(s for s in sources if s.rows is rows)
        for j, term in enumerate(first.order):
            name = term.lstrip("-")
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            out.append(Slot(f"_o{t}_{j}", t, name, term.startswith("-"),
                            field.cast_db_type(connection)))
    return out


def _tables(sources: list[Source]) -> list[Any]:
    """The tables of a type's sources (by their `rows`), in order: `_t` indexes this."""
    return list(dict.fromkeys(s.rows for s in sources))


def _union(sources: list[Source], staff: Staff, params: SearchParams,
           ) -> tuple[list[Part], list[Slot], str]:
    """The matching rows of every source that can match, each with its ORDER BY in the
    order of the whole result, the tie-break slots, and the ORDER BY of their UNION ALL.
    Both name the columns of the parts (compiling an ordering per part in Django would
    cost more than the query). A part selects only what varies by row; `_union_columns` adds
    the constants (which source and table, the id keys of unprefixed ids, the other
    tables' NULL slots) around it, as text: as annotations they cost more to build and
    compile than the rest of the search (session 13, docs/performance.md)."""
    tables = _tables(sources)
    bases = [rows(staff) for rows in tables]
    slots = _slots(sources, bases)
    quote = connection.ops.quote_name

    def requested(keys: tuple[str, ...], dense: frozenset[str] = frozenset()) -> list[str]:
        return [f"{quote(term.expression.name)} {'DESC' if term.descending else 'ASC'}"
                f"{'' if term.expression.name in dense else ' NULLS LAST'}"
                for term in _requested(params, keys)]

    def tie_breaks(slotted: list[Slot]) -> list[str]:
        return [f"{quote(slot.name)} {'DESC' if slot.descending else 'ASC'}"
                for slot in slotted]

    parts = []
    for i, source in enumerate(sources):
        t = tables.index(source.rows)
        rows = matching(source, staff, params, bases[t])
        if rows is None:
            continue
        own = [slot for slot in slots if slot.table == t]
        prefixed = _prefixed(source)
        key = "_k2" if prefixed else "_k1"
        # Within one source `_t`, `_s` and two of the id keys are constants: its order is
        # the requested keys, the id's own key, and its table's order (which an index on
        # the first key serves). The id's text orders as its key's text when the suffix
        # cannot continue a number (empty, or a character before "0", as "-total"): one
        # index on (first key, key text) then serves every source of the table, and the
        # part reads only the rows the page takes instead of sorting a batch of ties.
        keyed = prefixed and not source.ids and source.suffix[:1] < "0"
        varying = ("_kt",) if keyed else (key,)
        rows = rows.annotate(_pk=F("pk"), _patient=F(source.patient),
                             **{key: _id_text(source) if prefixed else F("pk")},
                             **({"_kt": KeyText("pk")} if keyed else {}),
                             **{slot.name: F(slot.column) for slot in own})
        # With the id among the keys the order is total: the table's order adds nothing.
        ties = [] if any(k == "_id" for k, _ in _sort(params)) else tie_breaks(own)
        columns = ("_pk", "_patient", "_when", "_updated", *dict.fromkeys((key, *varying)),
                   *(s.name for s in own))
        parts.append(Part(rows.order_by().values(*columns),
                          ", ".join(requested(varying, _dense(source, rows, staff)) + ties),
                          i, t, prefixed))
    order = ", ".join([*requested(ID_KEYS), quote("_t"), *tie_breaks(slots), quote("_s")])
    return parts, slots, order


class Compiled(NamedTuple):
    """A UNION's parts compiled: the SQL of each part that can match, with the part, all
    their parameters in order, the tie-break slots and the ORDER BY of the whole."""
    parts: list[tuple[str, Part]]
    args: list[Any]
    slots: list[Slot]
    order: str


def _compiled(sources: list[Source], staff: Staff, params: SearchParams) -> Compiled:
    parts, slots, order = _union(sources, staff, params)
    compiled: list[tuple[str, Part]] = []
    args: list[Any] = []
    for part in parts:
        try:
            sql, part_args = part.rows.query.sql_with_params()
        except EmptyResultSet:  # this part filtered to nothing (e.g. `_id` of no such row)
            continue
        compiled.append((sql, part))
        args += part_args
    return Compiled(compiled, args, slots, order)


class _Shape(NamedTuple):
    """A union compiled once for a search shape, with marker patients (`key_slots`)."""
    compiled: Compiled
    patients_at: Slots


# Unions compiled per search shape (`_union_sql`): keys are few (types x clinics x sorts and
# pages); at most this many are kept.
_SHAPES: dict[Hashable, _Shape] = {}
_SHAPES_MAX = 256


def _union_sql(sources: list[Source], staff: Staff, params: SearchParams) -> Compiled:
    """`_compiled`, but built and compiled once per search shape: a search by patient or
    of the whole clinic, with its sort, page, and total, for one clinic. Building the
    querysets of a seven-part union and compiling them cost 9 of the 21 ms of CPU of an
    Observation search at 100,000 patients (session 18, docs/performance.md). The
    patients are bound into the SQL's parameters on each call; everything else the SQL
    holds comes from the key, the clinic's id and time zone included, so a shape compiled
    for one clinic never serves another. Searches with other filters (codes, identifiers,
    ids, dates), whose values can shape the SQL, are compiled each time."""
    if (params.codes is not None or params.identifiers is not None or params.ids is not None
            or params.dates or params.last_updated):
        return _compiled(sources, staff, params)
    patients = None if params.patients is None else canonical_uuids(params.patients)
    if patients == []:  # no id spelled as we write them: the filter matches nothing
        return _compiled(sources, staff, params)
    for rows in _tables(sources):
        rows(staff)  # each table's permission check, as building the parts makes it
    key = (tuple(sources), staff.clinic.pk, staff.clinic.time_zone, tuple(params.sort),
           params.count, params.offset, params.total, patients and len(patients))
    shape = _SHAPES.get(key)
    if shape is None:
        markers = uuid_markers(len(patients or ()))
        marked = dataclasses.replace(
            params, patients=None if patients is None else {str(m) for m in markers})
        compiled = _compiled(sources, staff, marked)
        sql = " ".join(part_sql for part_sql, _ in compiled.parts)
        shape = _Shape(compiled, key_slots(sql, compiled.args, markers)
                       if compiled.parts else ())
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        _SHAPES[key] = shape
    return shape.compiled._replace(
        args=bound(shape.compiled.args, shape.patients_at, patients or []))


def _union_columns(part: Part, slots: list[Slot], alias: str) -> str:
    """The SELECT list of a part in the UNION: SHARED, then every slot."""
    quote = connection.ops.quote_name

    def own(name: str) -> str:
        return f"{alias}.{quote(name)}"

    keys = ["0", own("_k2")] if part.prefixed else [own("_k1"), "''"]
    constants = [f"{part.source:d}", f"{part.table:d}", own("_pk"), own("_patient"),
                 own("_when"), own("_updated"), "1" if part.prefixed else "0", *keys]
    values = constants + [own(slot.name) if slot.table == part.table
                          else f"CAST(NULL AS {slot.null_type})" for slot in slots]
    names = [*SHARED, *(slot.name for slot in slots)]
    return ", ".join(f"{value} AS {quote(name)}" for value, name in zip(values, names,
                                                                        strict=True))


def _total(params: SearchParams, shown: int,
           count: Callable[[int | None], int | None]) -> int | None:
    """The total: from the page when it ends the result (`shown` rows read of the `_count`
    + 1 asked for), else counted by `count(limit)` (None past `limit` matches); None for
    `_total=none`. search.COUNTED_UP_TO says why the default count stops."""
    if params.total == "none":
        return None
    told = told_by_page(shown, params.count, params.offset)
    if told is not None:
        return told
    return count(COUNTED_UP_TO if params.total == "bounded" else None)


def _counted(rows: QuerySet[Any], limit: int | None) -> int | None:
    if limit is None:
        return rows.count()
    found = rows.order_by()[:limit + 1].count()
    return found if found <= limit else None


class SearchPlan:
    """How PostgreSQL plans a search's statements (the page, the count, the page's rows);
    see `search_plan`."""

    def __init__(self, memoize: str | None) -> None:
        self.memoize = memoize  # the setting to go back to; None: not PostgreSQL

    @contextmanager
    def without_memoize(self, cursor: Any) -> Iterator[None]:
        """A union page's statement: each part reads a few rows through an index and joins
        each to its patient (a vital sign through its session and course); PostgreSQL 15
        sizes Memoize nodes for the whole table to cache those joins, and building them
        cost 6 of the 10 ms of a clinic-wide Observation page at 100,000 patients
        (session 11), for rows whose sessions and patients hardly repeat. The count that
        follows reads up to 1,001 rows, whose patients do repeat: with Memoize it ran in
        2.3-2.9 ms, without in 4.1-6.6 (session 12)."""
        if self.memoize is None:
            yield
            return
        cursor.execute("SELECT set_config('enable_memoize', 'off', true)")
        yield
        # Not on an error: the transaction is rolled back, and the setting with it.
        cursor.execute("SELECT set_config('enable_memoize', %s, true)", [self.memoize])


@contextmanager
def search_plan(*, joined: bool = True) -> Iterator[SearchPlan]:
    """The search's statements planned once per connection, and without parallel workers.

    The statements are prepared (settings: `prepare_threshold`), but PostgreSQL planned
    each one again for its values, because it estimated the one plan for any values dearer
    than the plans for given ones: planning a clinic-wide Observation page (seven tables in
    a UNION ALL, each joined to its patient) and its count took as long as running them.
    With one plan kept (`plan_cache_mode`) the database's CPU for that request fell by a
    third at 100,000 patients (session 12, docs/performance.md). The values these
    statements take (a clinic, ids, dates, constants) do not call for different plans; a
    `LIKE` pattern would, and no search filter uses one. Parallel workers only cost for
    the few rows each statement reads.

    SET LOCAL in a transaction of the search's own (within a caller's, such as a
    conditional create's, until that one ends). Not for statements that join no tables
    (`joined`: a search of patients), which plan in microseconds: the transaction would
    cost more than it saves. SQLite has none of these, and a transaction there would take
    the writers' lock."""
    if connection.vendor != "postgresql" or not joined:
        yield SearchPlan(None)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true), "
                       "set_config('max_parallel_workers_per_gather', '0', true), "
                       "current_setting('enable_memoize')")
        yield SearchPlan(cursor.fetchone()[2])


def _union_page(parts: Compiled, params: SearchParams, want: int, plan: SearchPlan,
                ) -> tuple[list[dict[str, Any]], int | None]:
    """The page's rows of the UNION ALL of `parts` and the total. Each part gives only its
    first `_offset` + `want` rows in the result's order, so a clinic-wide page reads a few
    rows of each table through the index on its first sort key instead of sorting them
    all; the count, when the page cannot tell it, is a second query. The text around the
    compiled parts is fixed column names and integers of our own; every value is a
    parameter."""
    compiled, args, slots, order = parts
    if not compiled:
        return [], None if params.total == "none" else 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("_s", "_t", "_pk"))
    with connection.cursor() as cursor:
        rows = []
        if params.offset <= MAX_ID:  # no table holds more rows (the database's bigint)
            reach = min(params.offset + want, MAX_ID)
            union = " UNION ALL ".join(
                f"SELECT {_union_columns(part, slots, f'p{i}')} FROM "  # noqa: S608
                f"({sql} ORDER BY {part.order} LIMIT {reach:d}) p{i}"
                for i, (sql, part) in enumerate(compiled))
            with plan.without_memoize(cursor):
                cursor.execute(f"SELECT {columns} FROM ({union}) u "  # noqa: S608
                               f"ORDER BY {order} LIMIT %s OFFSET %s",
                               [*args, want, params.offset])
                rows = cursor.fetchall()

        def count(limit: int | None) -> int | None:
            cap = "" if limit is None else f" LIMIT {limit + 1:d}"
            union = " UNION ALL ".join(f"SELECT 1 FROM ({sql}{cap}) p{i}"  # noqa: S608
                                       for i, (sql, _) in enumerate(compiled))
            cursor.execute(f"SELECT COUNT(*) FROM ({union}{cap}) u", args)  # noqa: S608
            found = int(cursor.fetchone()[0])
            return found if limit is None or found <= limit else None

        total = _total(params, len(rows), count)
    return [{"_s": r[0], "_t": r[1], "_pk": r[2]} for r in rows], total


def _fetch(sources: list[Source], staff: Staff, found: list[dict[str, Any]]) -> list[Entry]:
    """The page's resources: one query per table on the page."""
    tables = _tables(sources)
    rows: dict[int, dict[Any, Any]] = {}
    for t in sorted({r["_t"] for r in found}):
        source = next(s for s in sources if s.rows is tables[t])  # all of its table join alike
        rows[t] = source.joined(source.rows(staff)).in_bulk(
            [r["_pk"] for r in found if r["_t"] == t])
    return [sources[r["_s"]].build(rows[r["_t"]][r["_pk"]]) for r in found]


def page(sources: tuple[Source, ...], staff: Staff, params: SearchParams,
         ) -> tuple[list[Entry], int | None, bool, set[str]]:
    """(entries of the page, total or None when `_total=none`, whether more follow, the
    patients named by the search that have a match)."""
    with search_plan(joined=len(sources) > 1 or any(
            s.related or "__" in s.patient for s in sources)) as plan:
        return _page(sources, staff, params, plan)


def _page(sources: tuple[Source, ...], staff: Staff, params: SearchParams, plan: SearchPlan,
          ) -> tuple[list[Entry], int | None, bool, set[str]]:
    want = params.count + 1  # one more row tells whether a page follows
    if len(sources) == 1:
        source = sources[0]
        rows = matching(source, staff, params)
        if rows is None:
            return [], None if params.total == "none" else 0, False, set()
        id_keys = ("pk",) if source.ids or not (source.prefix or source.suffix) else ID_KEYS
        if id_keys == ID_KEYS:
            rows = rows.annotate(**_id_keys(source))
        ordered = source.joined(rows).order_by(
            *_requested(params, id_keys, _dense(source, rows, staff)), *source.order)
        found: list[Any] = list(ordered[params.offset:params.offset + want]) \
            if params.offset <= MAX_ID else []
        total = _total(params, len(found), lambda limit: _counted(rows, limit))
        entries = [source.build(r) for r in found[:params.count]]

        def patients() -> Any:
            return rows.order_by().values_list(source.patient, flat=True).distinct()
    else:
        found, total = _union_page(_union_sql(list(sources), staff, params), params, want,
                                   plan)
        entries = _fetch(list(sources), staff, found[:params.count])

        def patients() -> Any:
            each = [m.order_by().values_list(s.patient, flat=True) for s in sources
                    if (m := matching(s, staff, params)) is not None]
            return each[0].union(*each[1:])
    more = len(found) > params.count
    return entries, total, more, _named(sources, params, entries, total, more, patients)


def _named(sources: tuple[Source, ...], params: SearchParams, entries: list[Entry],
           total: int | None, more: bool, patients: Callable[[], Any]) -> set[str]:
    """The patients the search named that have a match; `patients()` (a query of the
    matches' patients) runs only when the page cannot tell."""
    if params.patients is None and not (params.ids is not None
                                        and any(s.patient == "pk" for s in sources)):
        return set()
    shown = {e.patient_id for e in entries if e.patient_id}
    if params.offset == 0 and not more:  # every match is on this page
        return shown
    if params.patients is not None:
        wanted = {str(u) for u in canonical_uuids(params.patients)}
        if wanted <= shown or (len(wanted) == 1 and (total or entries)):
            return wanted  # every named patient is on the page, or the one has matches
    return {str(p) for p in patients()}


def one(sources: tuple[Source, ...], staff: Staff, resource_id: str) -> Entry | None:
    for source in sources:
        row = source.joined(source.rows(staff).filter(source.where,
                                                      with_ids(source, {resource_id}))).first()
        if row is not None:
            return source.build(row)
    return None
