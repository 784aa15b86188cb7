"""Row ids from URLs and forms: anything that cannot be one of our ids is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Func
from django.db.models.functions import Cast
from django.http import Http404

# Largest value a BigAutoField holds; a larger id in a URL must be a 404, not a database
# overflow (PostgreSQL raises on it).
MAX_ID = 2**63 - 1


def int_id(value: object) -> int:
    """A row id from a URL or form, or Http404 when it cannot be one."""
    try:
        number = int(str(value))
    except ValueError:
        raise Http404("Not found") from None
    if not 0 < number <= MAX_ID:
        raise Http404("Not found")
    return number


class CodePoint(Func):
    """Text compared code point by code point whatever the database's collation ("C" on
    PostgreSQL, BINARY on SQLite). A Func, not a Collate: an index takes a Collate only as
    its outermost wrapper."""

    template = "%(expressions)s COLLATE %(collation)s"
    output_field = CharField()

    def __init__(self, expression: Any) -> None:
        super().__init__(expression, collation='"C"')

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, collation='"BINARY"', **extra)


class KeyText(CodePoint):
    """A row's key as text, in code point order. FHIR ids built around a key sort in this
    order within one source (interop/fhir/query.py), and indexes on it serve that order."""

    def __init__(self, expression: Any = "pk") -> None:
        super().__init__(Cast(expression, CharField()))
