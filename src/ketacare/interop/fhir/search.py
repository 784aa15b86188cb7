"""The search parameters every resource shares, parsed once, strictly: an unknown or
malformed parameter is a 400 naming it (silently ignoring a filter would return records
the client did not ask for)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

from django.http import QueryDict

from .outcome import FhirError

DEFAULT_COUNT = 20
MAX_COUNT = 500
PREFIXES = ("eq", "lt", "le", "gt", "ge")
# Accepted everywhere: they change presentation, not which records match.
PRESENTATION = {"_format", "_pretty", "_total", "_totalMethod"}
# Parameters that shape the result page, not which records match.
RESULT_PARAMS = PRESENTATION | {"_count", "_offset", "_sort"}
# The bundle's `total`. By default ("bounded") the count stops at COUNTED_UP_TO matches:
# the total is given when there are at most that many (or when the page ends the result),
# and left out beyond, so a clinic-wide search does not read every row of the clinic to
# give it (FHIR makes `total` optional; HAPI and IBM's servers skip it the same way).
# `_total=accurate` or `estimate` (and Aidbox's `_totalMethod`, which fhirpy sends for
# count()) get the exact total however many match; `_total=none` gets none, and no count.
COUNTED_UP_TO = 1000
Total = Literal["none", "bounded", "accurate"]

_DATE = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class DateFilter:
    """`prefix` applied to the interval [start, end) a FHIR date value stands for
    (2024 means the whole year, 2024-03-01 the whole day)."""

    param: str
    prefix: str
    start: datetime
    end: datetime

    def matches(self, when: datetime | None) -> bool:
        if when is None:
            return False
        if self.prefix == "eq":
            return self.start <= when < self.end
        if self.prefix == "lt":
            return when < self.start
        if self.prefix == "le":
            return when < self.end
        if self.prefix == "gt":
            return when >= self.end
        return when >= self.start  # ge


@dataclass
class SearchParams:
    ids: set[str] | None = None
    patients: set[str] | None = None
    codes: list[tuple[str | None, str]] | None = None
    identifiers: list[tuple[str | None, str]] | None = None
    dates: list[DateFilter] = field(default_factory=list)
    last_updated: list[DateFilter] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (key, descending)
    total: Total = "bounded"


def _bad(param: str, message: str) -> FhirError:
    return FhirError(400, "invalid", f"Search parameter '{param}': {message}", param)


# The far ends of what a datetime holds: an interval that would end after the last instant
# (9999-12-31 is a whole day) or start before the first ends or starts there instead.
LAST = datetime.max.replace(tzinfo=UTC)


def _later(start: datetime, step: timedelta) -> datetime:
    try:
        return start + step
    except OverflowError:
        return LAST


def _month_after(year: int, month: int, tz: tzinfo) -> datetime:
    if year == LAST.year and month == 12:
        return LAST
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)


def parse_date(param: str, raw: str, zone: tzinfo | None = None) -> DateFilter:
    prefix = "eq"
    if raw[:2] in PREFIXES:
        prefix, raw = raw[:2], raw[2:]
    elif raw[:2].isalpha():
        raise _bad(param, f"prefix {raw[:2]!r} is not supported; use one of "
                          f"{', '.join(PREFIXES)}")
    match = _DATE.match(raw)
    if not match:
        raise _bad(param, f"{raw!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or "
                          "YYYY-MM-DDThh:mm[:ss][Z|+hh:mm])")
    tz = zone or UTC
    try:
        year = int(match["year"])
        if match["month"] is None:
            start = datetime(year, 1, 1, tzinfo=tz)
            end = _month_after(year, 12, tz)
        elif match["day"] is None:
            month = int(match["month"])
            start = datetime(year, month, 1, tzinfo=tz)
            end = _month_after(year, month, tz)
        elif match["time"] is None:
            day = date(year, int(match["month"]), int(match["day"]))
            start = datetime.combine(day, datetime.min.time(), tz)
            end = _later(start, timedelta(days=1))
        else:
            text = raw.replace("Z", "+00:00")
            start = datetime.fromisoformat(text)
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz)
            seconds = match["time"].count(":") == 2
            end = _later(start, timedelta(seconds=1) if seconds else timedelta(minutes=1))
    except ValueError as exc:
        raise _bad(param, f"{raw!r} is not a valid date ({exc})") from None
    return DateFilter(param, prefix, start, end)


def _reference_id(param: str, raw: str) -> str:
    value = raw.strip()
    if "/" in value:
        kind, _, value = value.rpartition("/")
        if kind.rsplit("/", 1)[-1] != "Patient":
            raise _bad(param, f"{raw!r} must reference a Patient (Patient/ID)")
    if not value:
        raise _bad(param, "empty reference")
    return value


def _tokens(param: str, raw: str) -> list[tuple[str | None, str]]:
    """A token search value: `system|code` or a bare `code` (any system), comma-separated."""
    tokens: list[tuple[str | None, str]] = []
    for token in raw.split(","):
        system, bar, code = token.partition("|")
        if not bar:
            system, code = "", token
        if not code:
            raise _bad(param, f"{token!r} has no value; use system|value or value")
        tokens.append((system or None, code))
    return tokens


def parse(query: QueryDict, allowed: set[str], sorts: set[str],
          zone: tzinfo | None = None) -> SearchParams:
    """`allowed`: the search parameters this resource type supports, besides the
    result parameters (_count, _sort, _offset) every type has."""
    out = SearchParams()
    for name in query:
        if name in PRESENTATION:
            if name == "_format" and "xml" in query.get(name, ""):
                raise FhirError(406, "not-supported", "Only JSON (application/fhir+json) "
                                "is served.", "_format")
            if name == "_total":
                out.total = "none" if query.get(name) == "none" else "accurate"
            elif name == "_totalMethod":
                out.total = "accurate"
            continue
        base = name.split(":", 1)[0]
        if name != base and not (base in {"patient", "subject"} and name.endswith(":Patient")):
            raise _bad(name, "modifiers are not supported")
        if base not in allowed | {"_count", "_sort", "_offset"}:
            known = ", ".join(sorted(allowed | {"_count", "_sort"}))
            raise _bad(name, f"not supported for this resource type; supported: {known}")
        values = [v for v in query.getlist(name)]
        if any(v == "" for v in values):
            raise _bad(name, "empty value")
        if base == "_id":
            ids: set[str] = set()
            for v in values:
                ids.update(x.strip() for x in v.split(","))
            out.ids = ids if out.ids is None else out.ids & ids
        elif base in {"patient", "subject"}:
            for v in values:
                refs = {_reference_id(name, x) for x in v.split(",")}
                out.patients = refs if out.patients is None else out.patients & refs
        elif base in {"code", "identifier"}:
            if len(values) > 1:
                raise _bad(name, "give several values comma-separated in one parameter")
            tokens = _tokens(name, values[0])
            if base == "code":
                out.codes = tokens
            else:
                out.identifiers = tokens
        elif base == "date":
            out.dates.extend(parse_date(name, v, zone) for v in values)
        elif base == "_lastUpdated":
            out.last_updated.extend(parse_date(name, v, zone) for v in values)
        elif base in {"_count", "_offset"}:
            if len(values) > 1:
                raise _bad(name, "give it once")
            try:
                number = int(values[0])
            except ValueError:
                raise _bad(name, f"{values[0]!r} is not a whole number") from None
            if base == "_count":
                if not 0 <= number <= MAX_COUNT:
                    raise _bad(name, f"must be between 0 and {MAX_COUNT}")
                out.count = number
            else:
                if number < 0:
                    raise _bad(name, "must be 0 or more")
                out.offset = number
        elif base == "_sort":
            for v in values:
                for key in v.split(","):
                    desc = key.startswith("-")
                    bare = key.lstrip("-")
                    if bare not in sorts:
                        raise _bad(name, f"cannot sort by {bare!r}; allowed: "
                                         f"{', '.join(sorted(sorts))} (prefix - to reverse)")
                    out.sort.append((bare, desc))
    return out
