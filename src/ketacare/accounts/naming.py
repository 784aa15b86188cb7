"""Joining members of staff to name them, and nothing more.

Pages name who recorded, gave, checked or signed (`str(user)`: the username; or the full
name). Joined with `select_related`, each such user came with every column of the user
table, the password hash first; `named(queryset, ...)` joins them and leaves those columns
in the database (a template that used one would cost a query of its own, which the pinned
query counts of the pages catch)."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Manager, Model, QuerySet

NOT_FOR_NAMING = ("password", "last_login", "is_superuser", "is_staff", "is_active",
                  "date_joined", "email")

M = TypeVar("M", bound=Model)


def named(rows: QuerySet[M] | Manager[M], *relations: str) -> QuerySet[M]:
    """`rows` with the users reached through `relations` (e.g. "dose__given_by") joined for
    their names only."""
    return rows.select_related(*relations).defer(
        *(f"{relation}__{field}" for relation in relations for field in NOT_FOR_NAMING))
