"""Search and read over the registry: clinic scoping comes from the handlers, the shared
filters (_id, patient, code, date, _lastUpdated), sorting and paging from here. A type
with `Columns` is searched in the database (query.py); the others (resources derived from
several rows or columns, e.g. Observation) are collected and filtered here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.http import urlencode

from ketacare.accounts.staff import Staff

from . import query
from .registry import Entry, ResourceType, Scope
from .search import SearchParams


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    total: int | None  # None: not counted (`_total=none`)
    more: bool  # a next page exists
    # The patients the search named (patient=, subject=, or Patient's _id) that have a
    # match, returned on this page or not: a `_count=0` search still tells whether they
    # match, so the audit names them.
    patients: frozenset[str] = frozenset()


def _has_token(wanted: list[tuple[str | None, str]], have: frozenset[tuple[str, str]]) -> bool:
    """Token search: `system|value` matches that pair, a bare value any system."""
    return any((system is None and value in {v for _, v in have}) or (system, value) in have
               for system, value in wanted)


def _matches(entry: Entry, params: SearchParams) -> bool:
    if params.ids is not None and entry.id not in params.ids:
        return False
    if params.patients is not None and entry.patient_id not in params.patients:
        return False
    if params.codes is not None and not _has_token(params.codes, entry.codes):
        return False
    if params.identifiers is not None and not _has_token(params.identifiers, entry.identifiers):
        return False
    if not all(f.matches(entry.when) for f in params.dates):
        return False
    return all(f.matches(entry.last_updated) for f in params.last_updated)


def _sort_key(key: str, entry: Entry) -> tuple[int, object]:
    if key == "_id":
        # Numeric ids in number order, then other ids (a type may serve both, e.g.
        # QuestionnaireResponse's self-report rows and `intake-N`) in text order.
        return (0, (0, len(entry.id), entry.id) if entry.id.isdigit() else (1, 0, entry.id))
    value = entry.when if key == "date" else entry.last_updated
    return (0, value.timestamp()) if value is not None else (1, 0)


def run(rt: ResourceType, staff: Staff, params: SearchParams) -> Page:
    if rt.columns is not None:
        entries, total, more, named = query.page(rt.columns, staff, params)
        return Page(entries, total, more, frozenset(named))
    assert rt.collect is not None, rt.name
    scope = Scope(ids=params.ids, patients=params.patients, identifiers=params.identifiers)
    found = [e for e in rt.collect(staff, scope) if _matches(e, params)]
    sorts = params.sort or [("_lastUpdated", False), ("_id", False)]
    for key, desc in reversed(sorts):  # stable sorts, last key first
        present: list[Entry] = []
        missing: list[Entry] = []
        for e in found:
            (present if key == "_id" or _sort_key(key, e)[0] == 0 else missing).append(e)
        present.sort(key=lambda e, k=key: _sort_key(k, e), reverse=desc)  # type: ignore[misc]
        found = present + missing  # no value sorts last either way
    named = ({e.patient_id for e in found if e.patient_id in params.patients}
             if params.patients is not None else set())
    return Page(found[params.offset:params.offset + params.count],
                len(found) if params.total else None,
                params.offset + params.count < len(found), frozenset(named))


def bundle(base: str, rt_name: str, page: Page, params: SearchParams,
           query: Iterable[tuple[str, str]]) -> dict[str, object]:
    kept = [(k, v) for k, v in query if k != "_offset"]

    def link(relation: str, offset: int) -> dict[str, str]:
        qs = urlencode([*kept, ("_offset", str(offset))] if offset else kept)
        return {"relation": relation, "url": f"{base}{rt_name}" + (f"?{qs}" if qs else "")}

    links = [link("self", params.offset)]
    if params.count and page.more:
        links.append(link("next", params.offset + params.count))
    if params.offset > 0:
        links.append(link("previous", max(0, params.offset - max(params.count, 1))))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        **({"total": page.total} if page.total is not None else {}),
        "link": links,
        "entry": [{"fullUrl": f"{base}{rt_name}/{e.id}", "resource": e.resource,
                   "search": {"mode": "match"}} for e in page.entries],
    }


def read(rt: ResourceType, staff: Staff, resource_id: str) -> Entry | None:
    if rt.columns is not None:
        return query.one(rt.columns, staff, resource_id)
    assert rt.collect is not None, rt.name
    return next((e for e in rt.collect(staff, Scope(ids={resource_id}))
                 if e.id == resource_id), None)
