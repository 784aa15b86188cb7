"""`ketacare ledger verify` (issue 15, item 3): every stock item's sequence is contiguous,
its stored balances add up, and its HMAC chain holds; each kind of damage done with the
database's guard lifted (as a table owner could) is named, with exit 1."""

from __future__ import annotations

import contextlib
import importlib
import io
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from tests.conftest import cosigned

from ketacare.ledger import actions
from ketacare.ledger.models import LedgerEntry

guard = importlib.import_module("ketacare.ledger.migrations.0002_append_only")
TABLE = "ledger_ledgerentry"


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def guard_lifted() -> Iterator[None]:
    """The append-only trigger out of the way, as the owner of the table could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            return
        for statement in guard.SQLITE_REMOVE:
            cursor.execute(statement)
        yield
        for statement in guard.SQLITE_INSTALL:
            cursor.execute(statement)


def tamper(sql: str, params: list) -> None:  # type: ignore[type-arg]
    with guard_lifted(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def history(stocked, device_item, nurse_a, prescriber_a, patient_a, as_staff):  # type: ignore[no-untyped-def]
    nurse = as_staff(nurse_a)
    actions.administer(nurse, stocked, quantity_ml="0.7", lot="L-100", patient=patient_a)
    actions.waste(nurse, stocked, quantity_ml="0.3",
                  witness=cosigned(nurse, prescriber_a, "waste_witness"),
                  method="denaturant")
    actions.receive(nurse, device_item, devices=6, lot="E-1", expiry=date.today() + timedelta(days=400),
                    supplier="Janssen", invoice="INV-2")
    return list(LedgerEntry.objects.filter(stock_item=stocked).order_by("seq"))


def test_an_intact_ledger_verifies(history) -> None:  # type: ignore[no-untyped-def]
    assert verify() == (0, "OK: 2 stock items, 4 entries; sequences, balances and hash "
                           "chains intact\n", "")


def test_a_changed_amount_is_caught(history) -> None:  # type: ignore[no-untyped-def]
    tamper(f"UPDATE {TABLE} SET delta_ml = -0.2, balance_after_ml = 19.1 WHERE id = %s",  # noqa: S608
           [history[2].pk])
    code, _, err = verify()
    assert code == 1 and "entry #3" in err and "changed" in err and err.count("\n") == 1


def test_a_balance_that_does_not_add_up_is_caught(history) -> None:  # type: ignore[no-untyped-def]
    tamper(f"UPDATE {TABLE} SET balance_after_ml = 25 WHERE id = %s", [history[1].pk])  # noqa: S608
    code, _, err = verify()
    assert code == 1 and "entry #2: stored balance" in err


def test_a_removed_entry_is_caught(history) -> None:  # type: ignore[no-untyped-def]
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [history[1].pk])  # noqa: S608
    code, _, err = verify()
    assert code == 1 and "entry #2 is missing" in err


def test_a_recomputed_chain_without_the_key_is_caught(history) -> None:  # type: ignore[no-untyped-def]
    from ketacare.ledger.integrity import seal

    entry = history[0]
    entry.note = "rewritten"
    seal(entry, entry.prev_hash, b"not the key")
    tamper(f"UPDATE {TABLE} SET note = %s, hash = %s WHERE id = %s",  # noqa: S608
           [entry.note, entry.hash, entry.pk])
    code, _, err = verify()
    assert code == 1 and "entry #1 was changed" in err


def test_the_migration_chains_entries_written_before_it(history) -> None:  # type: ignore[no-untyped-def]
    chain_existing = importlib.import_module(
        "ketacare.ledger.migrations.0003_ledger_hash_chain")._chain
    tamper(f"UPDATE {TABLE} SET prev_hash = '', hash = ''", [])  # noqa: S608 - as before it
    assert verify()[0] == 1
    # The models as the migration sees them (plain managers, as in a real migrate).
    state = MigrationLoader(connection).project_state(("ledger", "0003_ledger_hash_chain"))
    with guard_lifted():
        chain_existing(state.apps, None)
    assert verify()[0] == 0
