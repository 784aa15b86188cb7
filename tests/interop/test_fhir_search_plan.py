"""How PostgreSQL plans a search's statements (query.search_plan): one plan per statement
and connection instead of planning the seven-table union again for each request, no
parallel workers, and no Memoize nodes for the union page's statement, which PostgreSQL 15
sized for whole tables; its count keeps them (its joined patients repeat). All SET LOCAL in
the search's own transaction; on SQLite, and for the Patient search (one table), no
transaction at all."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.interop.conftest import auth

SETTINGS = ("enable_memoize", "plan_cache_mode", "max_parallel_workers_per_gather")
POSTGRES = connection.vendor == "postgresql"


def _watched(client: Any, path: str, token: str) -> list[tuple[str, tuple[str, ...], bool]]:
    """Each SELECT the request ran: (its text, the planner settings it ran with, whether it
    ran in a transaction). The tests run outside one (`transaction=True`)."""
    seen = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().startswith("SELECT") and "set_config" not in sql:
            values: tuple[str, ...] = ()
            if POSTGRES:
                execute("SELECT " + ", ".join(f"current_setting('{s}')" for s in SETTINGS),
                        None, False, context)
                values = tuple(context["cursor"].fetchone())
            seen.append((sql, values, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        response = client.get(path, **auth(token))
    assert response.status_code == 200, response.content
    return seen


def _defaults() -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{s}')" for s in SETTINGS))
        return tuple(cursor.fetchone())


@pytest.mark.django_db(transaction=True)  # a SET LOCAL ends with its transaction
def test_the_union_page_runs_without_memoize_and_its_count_with(client, charted, token_a) -> None:  # type: ignore[no-untyped-def]
    before = _defaults() if POSTGRES else ()
    seen = _watched(client, "/fhir/Observation?_count=1", token_a)
    page = [s for s in seen if "UNION ALL" in s[0] and not s[0].startswith("SELECT COUNT")]
    count = [s for s in seen if "UNION ALL" in s[0] and s[0].startswith("SELECT COUNT")]
    assert len(page) == 1 and len(count) == 1  # a full page of one: the count runs too
    if not POSTGRES:
        # SQLite: no transaction (it would take the writers' lock for a read).
        # (The audit entry is written in one, after the search.)
        assert not any(inside for q, _, inside in seen if "audit_" not in q)
        return
    memoize, generic, parallel = before
    assert memoize == "on" and generic == "auto" and parallel != "0"
    assert page[0][1] == ("off", "force_generic_plan", "0")
    assert count[0][1] == ("on", "force_generic_plan", "0")
    inside = [s for s in seen if s[2]]  # in the search's transaction
    assert page[0] in inside and count[0] in inside and len(inside) >= 3  # + the page's rows
    assert all(values[1:] == ("force_generic_plan", "0") for _, values, _ in inside)
    assert _defaults() == before  # nothing left on the connection


@pytest.mark.django_db(transaction=True)
def test_a_search_of_patients_alone_opens_no_transaction(client, charted, token_a) -> None:  # type: ignore[no-untyped-def]
    """One table, planned in microseconds: the transaction would cost more than it saves."""
    seen = _watched(client, "/fhir/Patient?_count=1", token_a)
    searched = [s for s in seen if 'FROM "patients_patient"' in s[0]]
    assert searched and not any(inside for _, _, inside in searched)
    if POSTGRES:
        assert all(values == _defaults() for _, values, _ in searched)


@pytest.mark.django_db
def test_postgresql_keeps_one_plan_for_the_searchs_statements(client, charted, token_a) -> None:  # type: ignore[no-untyped-def]
    """Prepared after five runs (settings: prepare_threshold), each statement of the search
    is planned once: before, PostgreSQL planned the union again for every request."""
    if not POSTGRES:
        assert "server_side_binding" not in connection.settings_dict["OPTIONS"]
        return
    bodies = {client.get("/fhir/Observation?_count=1", **auth(token_a)).content
              for _ in range(9)}
    assert len(bodies) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans "
                       "FROM pg_prepared_statements WHERE statement LIKE '%%UNION ALL%%'")
        plans = cursor.fetchall()
    assert len(plans) == 2, plans  # the page and the count
    assert all(generic >= 1 and custom == 0 for _, generic, custom in plans), plans
