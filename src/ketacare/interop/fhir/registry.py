"""Handlers per resource type. Each module in `resources/` registers one `ResourceType`;
the views, the search engine and the CapabilityStatement read this registry only, so what
the server says it supports is what it does."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff

Resource = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One resource as the search engine sees it."""

    id: str
    resource: Resource
    patient_id: str | None
    when: datetime | None  # what the `date` parameter compares
    last_updated: datetime | None
    codes: frozenset[tuple[str, str]] = frozenset()
    identifiers: frozenset[tuple[str, str]] = frozenset()  # (system, value) pairs


@dataclass(frozen=True)
class Scope:
    """Narrowing a handler may apply in the database before the shared filters run."""

    ids: set[str] | None = None
    patients: set[str] | None = None
    identifiers: list[tuple[str | None, str]] | None = None  # (system or any, value)


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR SearchParamType: token, reference, date, ...
    documentation: str


Collect = Callable[[Staff, Scope], Iterable[Entry]]


@dataclass(frozen=True)
class Columns:
    """A resource type whose search runs in the database (query.py): one row per resource,
    its parameters on columns of that row. Types without it are searched by `collect`."""

    rows: Callable[[Staff], QuerySet[Any]]  # the clinic's rows (an access helper's `*_of`)
    build: Callable[[Any], Entry]  # one row's resource, for the rows of the page only
    ids: Callable[[set[str]], Q]  # the rows whose resource id is one of these
    patient: str  # the column holding the patient id
    # Column of `_lastUpdated` and `date` (either may be absent).
    dates: dict[str, str] = field(default_factory=dict)
    # Tie-break after the requested sort: the order `collect` yields rows in, then the key.
    order: tuple[str, ...] = ("pk",)
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
    collect: Collect | None = None  # in-memory search, for types without `columns`
    params: tuple[Param, ...] = ()
    create: Create | None = None
    perm: Perm | None = Perm.VIEW_CHART
    create_perm: Perm = Perm.SELFREPORT_MANAGE
    documentation: str = ""
    sorts: frozenset[str] = field(default_factory=lambda: frozenset({"_id", "_lastUpdated"}))
    columns: Columns | None = None

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


def extend(name: str, collect: Collect, documentation: str) -> None:
    """Another app serves more resources of a type registered here (consent: intake answers
    are QuestionnaireResponses of its intake Questionnaire). Reads and searches see both
    collections; create, parameters and permission stay the type's own."""
    base = load()[name]
    first = base.collect
    if first is None:
        raise TypeError(f"{name} is searched in the database; extend its columns instead")

    def both(staff: Staff, scope: Scope) -> Iterable[Entry]:
        yield from first(staff, scope)
        yield from collect(staff, scope)

    REGISTRY[name] = replace(base, collect=both,
                             documentation=f"{base.documentation} {documentation}".strip())


def load() -> dict[str, ResourceType]:
    from . import resources  # noqa: F401  (modules register themselves on import)

    return REGISTRY
