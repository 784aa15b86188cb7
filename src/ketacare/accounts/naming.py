"""Joining members of staff to name them, and nothing more.

Pages name who recorded, gave, checked or signed (`str(user)`: the username; or the full
name). Joined with `select_related`, each such user came with every column of the user
table, the password hash first; `defer(*names_only(...))` leaves those columns in the
database (a template that used one would cost a query of its own, which the pinned query
counts of the pages catch)."""

from __future__ import annotations

NOT_FOR_NAMING = ("password", "last_login", "is_superuser", "is_staff", "is_active",
                  "date_joined", "email")


def names_only(*relations: str) -> list[str]:
    """`defer()` arguments for users joined through `relations` (e.g. "dose__given_by")."""
    return [f"{relation}__{field}" for relation in relations for field in NOT_FOR_NAMING]
