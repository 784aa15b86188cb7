"""The keyed chain and its anchors: what `audit verify` alone cannot see (a removed tail, an
emptied table, a chain recomputed by someone with the key) `audit verify --anchor` does, and
a chain recomputed without the key never verifies (issue 15, item 3)."""

from __future__ import annotations

import importlib
import io
import json
import threading
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, connections, transaction

from ketacare.audit import chain
from ketacare.audit.log import audit_key, record
from ketacare.audit.models import Action, AuditEvent

rekey = importlib.import_module("ketacare.audit.migrations.0003_audit_hmac_lanes")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def entries(audit, admin_a):
    return [record(Action.VIEW, user=admin_a, detail={"n": n}) for n in range(5)]


@pytest.fixture
def anchored(entries, tmp_path) -> Path:
    path = tmp_path / "anchors.jsonl"
    code, out, _ = run("anchor", "--file", str(path))
    assert code == 0 and "Anchored 5 entries" in out
    return path


def rechain_from(audit, first_id: int, hasher) -> None:  # type: ignore[no-untyped-def]
    """Recompute every hash from `first_id` on, the way a forger would."""
    lane = AuditEvent.objects.get(pk=first_id).lane
    events = list(AuditEvent.objects.filter(lane=lane).order_by("id"))
    prev = chain.GENESIS
    for event in events:
        if event.pk >= first_id:
            new = hasher(prev, event.chained_fields())
            audit.tamper("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                         [prev, new, event.pk])
            prev = new
        else:
            prev = event.hash


def test_anchor_line_holds_the_head(anchored, entries):
    (line,) = anchored.read_text().splitlines()
    head = json.loads(line)
    assert head["count"] == 5 and head["last_id"] == entries[-1].pk
    assert len(head["hash"]) == 64 and head["at"]
    # One connection wrote them all: one lane (0 on SQLite, the connection's on PostgreSQL).
    assert head["lanes"] == [[entries[-1].lane, entries[-1].pk, 5, entries[-1].hash]]
    assert oct(anchored.stat().st_mode & 0o777) == "0o600"
    assert run("verify", "--anchor", str(anchored))[:2] == (
        0, "OK: 5 entries, chain intact, 1 anchors hold\n")


def test_a_removed_tail_passes_plain_verify_but_not_the_anchor(audit, entries, anchored):
    assert audit.tamper("DELETE FROM audit_auditevent WHERE id >= %s", [entries[3].pk]) == 2
    assert run("verify")[0] == 0  # what is left still chains: why anchors exist
    code, _, err = run("verify", "--anchor", str(anchored))
    assert code == 1 and "truncated" in err and err.count("\n") == 1


def test_an_emptied_trail_fails_against_the_anchor(audit, entries, anchored):
    if connection.vendor == "postgresql":
        audit.execute("SET ketacare.audit_truncate = 'allow'")  # the documented escape hatch
        audit.execute("TRUNCATE audit_auditevent")
    else:
        audit.tamper("DELETE FROM audit_auditevent")
    assert run("verify")[:2] == (0, "OK: 0 entries, chain intact\n")
    assert run("verify", "--anchor", str(anchored))[0] == 1


def test_a_rewrite_recomputed_without_the_key_is_caught(audit, entries):
    # session_replication_role=replica (PostgreSQL) lifts the triggers; the forger
    # recomputes the old unkeyed SHA-256 chain, which verified before the key existed.
    audit.tamper("UPDATE audit_auditevent SET username = 'someone' WHERE id = %s",
                 [entries[2].pk])
    rechain_from(audit, entries[0].pk, chain.legacy_hash)
    code, _, err = run("verify")
    assert code == 1 and f"entry {entries[0].pk}:" in err and "audit key" in err


def test_a_rewrite_recomputed_with_the_key_is_caught_by_the_anchor(audit, entries, anchored):
    audit.tamper("UPDATE audit_auditevent SET username = 'someone' WHERE id = %s",
                 [entries[2].pk])
    rechain_from(audit, entries[2].pk, lambda p, f: chain.entry_hash(p, f, audit_key()))
    assert run("verify")[0] == 0
    code, _, err = run("verify", "--anchor", str(anchored))
    assert code == 1 and "rewritten" in err


def test_entries_after_the_anchor_are_fine(entries, anchored, admin_a):
    record(Action.VIEW, user=admin_a)
    assert run("anchor", "--file", str(anchored))[0] == 0
    record(Action.VIEW, user=admin_a)
    assert run("verify", "--anchor", str(anchored))[:2] == (
        0, "OK: 7 entries, chain intact, 2 anchors hold\n")


def test_an_edited_anchor_line_is_refused(anchored):
    anchored.write_text(anchored.read_text().replace('"count":5', '"count":4'))
    code, _, err = run("verify", "--anchor", str(anchored))
    assert code == 1 and "line 1" in err


def test_missing_files_are_usage_errors(tmp_path, db):
    from django.core.management import CommandError

    with pytest.raises(CommandError) as error:
        call_command("audit", "verify", "--anchor", str(tmp_path / "none"))
    assert error.value.returncode == 2
    with pytest.raises(CommandError) as error:
        call_command("audit", "anchor", "--file", str(tmp_path / "no" / "dir"))
    assert error.value.returncode == 2


def test_the_migration_rekeys_a_legacy_chain_and_refuses_a_broken_one(audit, entries):
    lift, *_, put_back = rekey.Migration.operations
    lift.code(None, audit.schema_editor())  # the triggers out of the way, as the migration does
    rekey._rechain(apps, keyed=False)  # back to the unkeyed chain of older releases
    assert run("verify")[0] == 1
    rekey._rechain(apps, keyed=True)
    assert run("verify")[:2] == (0, "OK: 5 entries, chain intact\n")
    rekey._rechain(apps, keyed=False)
    audit.execute("UPDATE audit_auditevent SET username = 'x' WHERE id = %s", [entries[1].pk])
    with pytest.raises(RuntimeError, match=f"entry {entries[1].pk} does not verify"):
        rekey._rechain(apps, keyed=True)
    put_back.code(None, audit.schema_editor())


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_wait_for_each_other(audit, admin_a):
    """A transaction that has written an entry and stays open holds its lane: on PostgreSQL
    another writer takes another lane at once; SQLite has one writer at a time."""
    holding, release = threading.Event(), threading.Event()
    other_done = threading.Event()

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                record(Action.UPDATE, user=admin_a, detail={"long": True})
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    assert holding.wait(10)
    if connection.vendor == "postgresql":
        other = threading.Thread(target=lambda: (record(Action.VIEW, user=admin_a),
                                                 other_done.set(), connections.close_all()))
        other.start()
        assert other_done.wait(5), "the second writer waited for the first one's lane"
        other.join()
    release.set()
    thread.join()
    if connection.vendor == "postgresql":
        lanes = set(AuditEvent.objects.values_list("lane", flat=True))
        assert len(lanes) == 2
    assert run("verify")[0] == 0
