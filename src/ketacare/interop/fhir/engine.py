"""Search and read over the registry: clinic scoping comes from the handlers. Types with
sources are searched in the database (query.py); the others (the Questionnaire library,
which is code, not rows) are collected, filtered, sorted and paged here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.http import urlencode

from ketacare.accounts.staff import Staff

from . import query
from .common import has_token
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


def _matches(entry: Entry, params: SearchParams) -> bool:
    """The library's resources have no patient, date or lastUpdated: a search by one of
    those matches none of them."""
    if params.ids is not None and entry.id not in params.ids:
        return False
    if params.codes is not None and not has_token(params.codes, entry.codes):
        return False
    return not (params.patients is not None or params.identifiers is not None
                or params.dates or params.last_updated)


def _id_key(entry: Entry) -> tuple[int, int, str]:
    """Numeric ids in number order, then other ids in text order."""
    return (0, len(entry.id), entry.id) if entry.id.isdigit() else (1, 0, entry.id)


def run(rt: ResourceType, staff: Staff, params: SearchParams) -> Page:
    if rt.sources:
        entries, total, more, named = query.page(rt.sources, staff, params)
        return Page(entries, total, more, frozenset(named))
    assert rt.collect is not None, rt.name
    found = [e for e in rt.collect(staff, Scope(ids=params.ids)) if _matches(e, params)]
    sorts = params.sort or [("_lastUpdated", False), ("_id", False)]
    for key, desc in reversed(sorts):  # stable sorts, last key first
        if key == "_id":  # nothing else has a value to sort by
            found.sort(key=_id_key, reverse=desc)
    return Page(found[params.offset:params.offset + params.count],
                None if params.total == "none" else len(found),
                params.offset + params.count < len(found))


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
    if rt.sources:
        return query.one(rt.sources, staff, resource_id)
    assert rt.collect is not None, rt.name
    return next((e for e in rt.collect(staff, Scope(ids={resource_id}))
                 if e.id == resource_id), None)
