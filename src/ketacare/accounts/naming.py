"""Naming members of staff on a page, and nothing more.

Pages name who recorded, gave, checked or signed (`str(user)`: the username; or the full
name). Joined to each list with `select_related`, each such user came with every column of
the user table, the password hash first; joined for the name columns only, they still cost
Django more to build and compile than the list itself (issue 17: the chart's four lists
10 ms instead of 3.6 with two people each on the 100,000-patient benchmark database).
`People` reads every person a page names in one query, with the columns a name needs, and
gives each row its users as if they had been joined (a template that used another column
would cost a query of its own, which the pinned query counts of the pages catch). The
query is compiled once per process for each number of people (ketacare.compiled_reads)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model
from django.db.models.fields.related import ForeignKey

from ketacare.compiled_reads import CompiledRead

NOT_FOR_NAMING = ("password", "last_login", "is_superuser", "is_staff", "is_active",
                  "date_joined", "email")
# Compiled once per process for each number of people a page names (a clinic's staff).
_people: CompiledRead[Model] = CompiledRead(
    lambda *ids: get_user_model()._default_manager.filter(pk__in=ids).defer(*NOT_FOR_NAMING))


class People:
    """The users named by rows of a page: `add` the rows and the relations that name them
    (a user field, or a path through relations already read, e.g. "dose__given_by"), then
    `read` them all in one query."""

    def __init__(self) -> None:
        self._named: list[tuple[Model, ForeignKey[Any, Any]]] = []

    def add(self, rows: Iterable[Model], *relations: str) -> People:
        for row in rows:
            for relation in relations:
                *path, name = relation.split("__")
                target: Model | None = row
                for step in path:  # a missing reverse one-to-one (no dose yet): nobody
                    target = getattr(target, step, None)
                if target is not None:
                    field = target._meta.get_field(name)
                    assert isinstance(field, ForeignKey), relation
                    self._named.append((target, field))
        return self

    def read(self) -> None:
        ids = {getattr(row, field.attname) for row, field in self._named} - {None}
        if not ids:
            return
        users = {u.pk: u for u in _people(*sorted(ids))}
        for row, field in self._named:
            user = users.get(getattr(row, field.attname))
            if user is not None:
                field.set_cached_value(row, user)
