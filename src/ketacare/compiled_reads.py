"""Reads the busiest pages run on every request, compiled to SQL once per process.

Django compiles a queryset to SQL each time it runs and passes every row through its
iterator machinery: about half a millisecond of Python per statement before the database
does anything (docs/performance.md). A chart or session-day page runs a dozen reads whose
shape never changes, only the key they filter on (a patient, a session). `CompiledRead`
lets Django compile such a shape once per process, with marker keys, and remembers the
SQL, where each key sits among its parameters and how each column is converted; a call
binds the real keys there and builds the model instances with `Model.from_db`, as
Django's own iterator does. The SQL is Django's, so it is what the queryset would run,
on SQLite as on PostgreSQL.

Two kinds of read qualify: `CompiledRead`, a model's rows (all their columns, or those
`defer()` / `only()` leave) and those of the rows it `select_related` (no annotations,
`values()` or `prefetch_related`); and `CompiledValues`, the plain tuples of a
`values_list(*fields)`. A key may also be one of several in an `IN`: a read called with
n keys is compiled once for n.
Both are keyed by integer or UUID values. Anything else is refused when the shape is first
compiled, not silently read wrong.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesListIterable, get_related_populators

M = TypeVar("M", bound=Model)
T = TypeVar("T")
Key = int | uuid.UUID

# Marker keys, told apart from the query's constants by value: only compiled, never run.
# Integers inside a 32-bit field's range (Django refuses a lookup outside it).
_INT_MARKER = 2_073_111_970
_UUID_MARKER = 0x4B45_5441_4341_5245 << 64  # "KETACARE"


def _marker(kind: type, i: int) -> Key:
    return uuid.UUID(int=_UUID_MARKER + i) if kind is uuid.UUID else _INT_MARKER + i


def uuid_markers(n: int) -> list[Key]:
    """n marker UUIDs, for a statement compiled once and bound to real ones (`key_slots`)."""
    return [_marker(uuid.UUID, i) for i in range(n)]


Slots = tuple[tuple[int, int, bool], ...]  # (parameter position, key index, as hex)


def key_slots(sql: str, params: Sequence[Any], markers: Sequence[Key]) -> Slots:
    """Where each marker key sits among a compiled statement's parameters. Refuses a key
    that is not a parameter of the SQL (missing, or written into its text)."""
    slots = []
    for pos, value in enumerate(params):
        for i, marker in enumerate(markers):
            if value == marker:
                slots.append((pos, i, False))
            elif isinstance(marker, uuid.UUID) and value == marker.hex:
                slots.append((pos, i, True))
    missing = set(range(len(markers))) - {i for _, i, _ in slots}
    if missing or any(str(m) in sql or str(m).replace("-", "") in sql for m in markers):
        raise TypeError(f"keys {sorted(missing)} are not parameters of {sql}")
    return tuple(slots)


def bound(params: Sequence[Any], slots: Slots, keys: Sequence[Key]) -> list[Any]:
    """The parameters with the real keys where `key_slots` found the markers."""
    out = list(params)
    for pos, i, as_hex in slots:
        key = keys[i]
        out[pos] = key.hex if as_hex and isinstance(key, uuid.UUID) else key
    return out


def _kind(key: object) -> type:
    if isinstance(key, uuid.UUID):
        return uuid.UUID
    if isinstance(key, int):
        return int
    raise TypeError(f"a compiled read's key is an int or a UUID, not {type(key).__name__}")


@dataclass(frozen=True)
class _Plan:
    alias: str  # the database the queryset reads
    sql: str
    params: tuple[Any, ...]
    slots: Slots
    converters: tuple[tuple[int, list[Any], Any], ...]  # (column, converters, expression)

    def rows(self, keys: tuple[Key, ...]) -> list[Any]:
        """The rows for these keys, each column converted as Django's iterator would."""
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, bound(self.params, self.slots, keys))
            rows: list[Any] = cursor.fetchall()
        if self.converters:
            rows = [_converted(row, self.converters, connection) for row in rows]
        return rows


def _plan(qs: QuerySet[Any], markers: list[Key]) -> tuple[_Plan, Any]:
    """The queryset compiled with marker keys, and its compiler (for what else a read
    needs of it). Refuses a key that is not a parameter of the SQL."""
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    slots = key_slots(sql, params, markers)
    columns = [col for col, _, _ in compiler.select]
    converters = tuple(
        (j, convs, expr) for j, (convs, expr) in compiler.get_converters(columns).items())
    return _Plan(alias=qs.db, sql=sql, params=tuple(params), slots=slots,
                 converters=converters), compiler


class _Compiled(Generic[T]):
    """What both kinds of read share: one compiled plan per kinds of keys."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[type, ...], T] = {}

    def _for(self, keys: tuple[Key, ...]) -> T:
        kinds = tuple(map(_kind, keys))
        compiled = self._compiled.get(kinds)
        if compiled is None:
            markers = [_marker(kind, i) for i, kind in enumerate(kinds)]
            compiled = self._compiled[kinds] = self._compile(self._build(*markers), markers)
        return compiled

    def _compile(self, qs: QuerySet[Any], markers: list[Key]) -> T:
        raise NotImplementedError


@dataclass(frozen=True)
class _ModelPlan:
    model: type[Model]
    plan: _Plan
    attnames: tuple[str, ...]  # the model's columns read (not deferred): the row's first
    related: tuple[Any, ...]  # Django's populators of the select_related rows


class CompiledRead(_Compiled[_ModelPlan], Generic[M]):
    """`build(*keys)` returns the queryset for the given keys; calling the read with keys
    returns its rows as model instances, in the queryset's order."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        super().__init__(build)  # typed here so that the rows' model comes from `build`

    def __call__(self, *keys: Key) -> list[M]:
        compiled = self._for(keys)
        width = len(compiled.attnames)
        alias = compiled.plan.alias
        out = []
        for row in compiled.plan.rows(keys):
            obj: M = compiled.model.from_db(alias, compiled.attnames, row[:width])  # type: ignore[assignment]
            for related in compiled.related:
                related.populate(row, obj)
            out.append(obj)
        return out

    def _compile(self, qs: QuerySet[Any], markers: list[Key]) -> _ModelPlan:
        query = qs.query
        state = vars(qs)  # values() and prefetch_related() leave no mark on the query
        if (query.annotation_select or query.extra_select or not query.default_cols
                or state["_fields"] is not None or state["_prefetch_related_lookups"]):
            raise TypeError(f"not a model read: {qs.model.__name__}")
        plan, compiler = _plan(qs, markers)
        klass_info = compiler.klass_info
        assert klass_info is not None
        fields = klass_info["select_fields"]
        assert fields[0] == 0, "the model's own columns come first"
        columns = [col for col, _, _ in compiler.select]
        return _ModelPlan(
            model=qs.model, plan=plan,
            attnames=tuple(col.target.attname for col in columns[:fields[-1] + 1]),
            related=tuple(get_related_populators(  # type: ignore[call-arg]
                klass_info, compiler.select, qs.db)))  # (stubs: Django 6's)


class CompiledValues(_Compiled[_Plan]):
    """`build(*keys)` returns a `values_list(*fields)` queryset (plain tuples: not flat,
    not named, no annotations); calling the read with keys returns its rows as tuples of
    the fields' values, in the queryset's order, as the queryset would."""

    def __call__(self, *keys: Key) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._for(keys).rows(keys)]

    def _compile(self, qs: QuerySet[Any], markers: list[Key]) -> _Plan:
        query = qs.query
        state = vars(qs)
        if (state["_iterable_class"] is not ValuesListIterable or query.annotation_select
                or query.extra_select or state["_prefetch_related_lookups"]):
            raise TypeError(f"not a values_list read: {qs.model.__name__}")
        plan, compiler = _plan(qs, markers)
        assert len(compiler.select) == len(state["_fields"]), "one column per field"
        return plan


def _converted(row: Sequence[Any], converters: tuple[tuple[int, list[Any], Any], ...],
               connection: Any) -> list[Any]:
    values = list(row)
    for j, convs, expression in converters:
        value = values[j]
        for convert in convs:
            value = convert(value, expression, connection)
        values[j] = value
    return values


def keep_as_prefetched(instance: Model, related_name: str, rows: list[M]) -> None:
    """Keep `rows` (read with a `CompiledRead`) as what `instance.<related_name>.all()`
    returns from now on, as `prefetch_related_objects` keeps what it reads: the manager's
    own queryset (so a later `.filter()` on it still filters this instance's rows) holding
    the rows, each pointing back at `instance` without another read."""
    manager = getattr(instance, related_name)
    queryset = manager.get_queryset()
    for row in rows:
        manager.field.set_cached_value(row, instance)
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[manager.field.remote_field.cache_name] = queryset
