"""Handlers per resource type. Each module in `resources/` registers one `ResourceType`;
the views, the search engine and the CapabilityStatement read this registry only, so what
the server says it supports is what it does."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff

Resource = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One resource as the search engine returns it."""

    id: str
    resource: Resource
    patient_id: str | None
    # What `code` matches, for the types searched in memory (the Questionnaire library).
    codes: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Scope:
    """Narrowing a handler may apply before the in-memory filters run."""

    ids: set[str] | None = None


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR SearchParamType: token, reference, date, ...
    documentation: str


Collect = Callable[[Staff, Scope], Iterable[Entry]]
Token = tuple[str | None, str]  # (system or any, value)
# A column name, or the expression of one for the searching staff (e.g. in the clinic's zone).
Column = str | Callable[[Staff], Any]


@dataclass(frozen=True)
class Source:
    """Resources searched in the database (query.py): each row of `rows` that meets `where`
    is one resource, its search parameters on columns of that row. A type has one source,
    or several merged into one result (Observation: self-report totals, PHQ-9 item 9, each
    vital sign, body weights)."""

    rows: Callable[[Staff], QuerySet[Any]]  # the clinic's rows (an access helper's `*_of`)
    build: Callable[[Any], Entry]  # one row's resource, for the rows of the page only
    patient: str  # the column holding the patient id
    where: Q = field(default_factory=Q)  # the rows that are this resource
    # Resource id: prefix + primary key + suffix; `ids` for another kind (Patient's UUIDs).
    prefix: str = ""
    suffix: str = ""
    ids: Callable[[set[str]], Q] | None = None
    when: Column | None = None  # what `date` compares
    updated: Column | None = None  # `_lastUpdated`
    # The rows whose code is one of the tokens; None when no row of this source can match.
    codes: Callable[[list[Token]], Q | None] | None = None
    identifier: bool = False  # identifier_system / identifier_value columns
    # Tie-break after the requested sort: the order rows of this table come in (every
    # source of one table gives the same), then the key.
    order: tuple[str, ...] = ("pk",)
    related: tuple[str, ...] = ()  # select_related to build
    # The columns of the related rows `build` reads, when it reads only these (e.g. the
    # patient two joins away): the other columns, JSON among them, stay in the database
    # (reading 50 vital signs with their whole sessions and courses took 4.1 ms, with the
    # patient id alone 1.7 ms). Empty: every column. Every source of one table joins and
    # reads the same.
    reads: tuple[str, ...] = ()

    def joined(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """`rows` with the related rows `build` reads (none joined when it reads none:
        `select_related()` without names would follow every foreign key)."""
        if not self.related:
            return rows
        rows = rows.select_related(*self.related)
        if not self.reads:
            return rows
        return rows.only(*(f.name for f in rows.model._meta.concrete_fields), *self.reads)


Create = Callable[[Staff, Resource, HttpRequest], Entry]

COMMON = (
    Param("_id", "token", "Logical id of the resource (comma-separated for several)."),
    Param("_lastUpdated", "date", "When the resource last changed; prefixes eq, lt, le, gt, ge."),
)
# Types that search their `identifier` also take conditional create (If-None-Exist).
IDENTIFIER = Param("identifier", "token", "A business identifier the sender gave the "
                   "resource: system|value or value. Also the If-None-Exist condition of a "
                   "conditional create.")
SUBJECT = (
    Param("patient", "reference", "The patient: Patient/ID or ID."),
    Param("subject", "reference", "Same as patient."),
)


@dataclass(frozen=True)
class ResourceType:
    name: str
    collect: Collect | None = None  # in-memory search, for types not in the database
    params: tuple[Param, ...] = ()
    create: Create | None = None
    perm: Perm | None = Perm.VIEW_CHART
    create_perm: Perm = Perm.SELFREPORT_MANAGE
    documentation: str = ""
    sorts: frozenset[str] = field(default_factory=lambda: frozenset({"_id", "_lastUpdated"}))
    sources: tuple[Source, ...] = ()  # searched in the database

    @property
    def all_params(self) -> tuple[Param, ...]:
        return COMMON + self.params

    @property
    def param_names(self) -> set[str]:
        return {p.name for p in self.all_params}

    @property
    def conditional_create(self) -> bool:
        """A retried create finds what the first one stored by its identifier."""
        return self.create is not None and IDENTIFIER in self.params


REGISTRY: dict[str, ResourceType] = {}


def register(resource_type: ResourceType) -> ResourceType:
    REGISTRY[resource_type.name] = resource_type
    return resource_type


def extend(name: str, more: Source | Collect, documentation: str) -> None:
    """Another app serves more resources of a type registered here (consent: intake answers
    are QuestionnaireResponses of its intake Questionnaire). Reads and searches see both;
    create, parameters and permission stay the type's own. A type searched in the database
    takes another Source, one searched in memory another Collect."""
    base = load()[name]
    text = f"{base.documentation} {documentation}".strip()
    if isinstance(more, Source):
        if not base.sources:
            raise TypeError(f"{name} is searched in memory; extend it with a Collect")
        REGISTRY[name] = replace(base, sources=(*base.sources, more), documentation=text)
        return
    first = base.collect
    if first is None:
        raise TypeError(f"{name} is searched in the database; extend it with a Source")

    def both(staff: Staff, scope: Scope) -> Iterable[Entry]:
        yield from first(staff, scope)
        yield from more(staff, scope)

    REGISTRY[name] = replace(base, collect=both, documentation=text)


def load() -> dict[str, ResourceType]:
    from . import resources  # noqa: F401  (modules register themselves on import)

    return REGISTRY
