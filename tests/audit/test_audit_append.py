"""The PostgreSQL write path (`audit.log.write`, migrations audit 0005 and 0006): a connection sends its
entries chained from the last hash it wrote, and the database inserts them only under the
lane lock and only if they follow the lane's head. A wrong guess is refused, never forked;
concurrent writers leave one chain per lane that `verify` accepts; the function writes every
field the model has."""

from __future__ import annotations

import importlib
import io
import json
import re
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from ketacare.audit import log
from ketacare.audit.chain import GENESIS
from ketacare.audit.log import entry, record
from ketacare.audit.models import Action, AuditEvent

append = importlib.import_module("ketacare.audit.migrations.0006_append_in_one_insert")
PG = "postgresql"


def verified() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def call(lane: int, rows: list[dict[str, object]]) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ketacare_audit_append(%s, %s, %s, %s::jsonb)",
                       [log._CHAIN_LOCK, log.LANES, lane, json.dumps(rows)])
        return cursor.fetchone()


def test_the_function_inserts_every_column_of_the_model():
    """A field added to AuditEvent must be added to the function's INSERT (a new migration),
    or entries written on PostgreSQL would lose it."""
    inserted = re.search(r"INSERT INTO audit_auditevent \(([^)]*)\)", append.PG_INSTALL[0])
    assert inserted is not None
    columns = {c.strip() for c in inserted.group(1).split(",")}
    assert columns == {f.column for f in AuditEvent._meta.concrete_fields}


def test_a_stale_guess_is_refused_and_the_entry_chained_on_the_real_head(audit, admin_a):
    first = record(Action.VIEW, user=admin_a)
    second = record(Action.VIEW, user=admin_a, detail={"n": 2})
    if connection.vendor == PG:
        # As if another connection had written on this lane since this one's last entry:
        # the database refuses the guess and the writer moves on to the next lane.
        log._last_written[connection.connection] = (first.lane, first.hash)
    third = record(Action.VIEW, user=admin_a, detail={"n": 3})
    if connection.vendor == PG:
        assert (third.lane, third.prev_hash) == ((first.lane + 1) % log.LANES, GENESIS)
    else:
        assert (third.lane, third.prev_hash) == (second.lane, second.hash)
    assert max(Counter(AuditEvent.objects.values_list("lane", "prev_hash")).values()) == 1
    assert verified() == "OK: 3 entries, chain intact\n"


def test_the_database_refuses_entries_that_do_not_follow_the_head(audit, admin_a):
    if connection.vendor != PG:
        assert AuditEvent.objects.count() == 0  # SQLite: one writer at a time, no function
        return
    head = record(Action.VIEW, user=admin_a)
    forged = {**entry(Action.VIEW, user=admin_a).chained_fields(), "prev_hash": "f" * 64,
              "hash": "e" * 64}
    lane, real_head, ids = call(head.lane, [forged])
    assert (lane, real_head, ids) == (head.lane, head.hash, None)
    follows = {**forged, "prev_hash": head.hash}
    with pytest.raises(DatabaseError, match="do not follow each other"), \
            transaction.atomic():
        call(head.lane, [follows, {**forged, "hash": "d" * 64}])
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_a_lane(audit, admin_a):
    per_thread, threads = 25, 8
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(per_thread):
                if i % 5 == 0:
                    with transaction.atomic():  # some inside a transaction, like writes
                        record(Action.UPDATE, user=admin_a, detail={"t": n, "i": i})
                else:
                    record(Action.VIEW, user=admin_a, detail={"t": n, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    pairs = Counter(AuditEvent.objects.values_list("lane", "prev_hash"))
    assert max(pairs.values()) == 1
    assert verified() == f"OK: {per_thread * threads} entries, chain intact\n"


def test_one_call_writes_many_entries_with_ids_ascending_along_the_chain(audit, admin_a):
    """A list response's entries (one per patient shown) go in one call; the function draws
    their ids first and gives them in list order, so `verify`, which walks a lane by id,
    finds the chain (0006: one INSERT instead of one per entry)."""
    record(Action.VIEW, user=admin_a)
    events = log.write([entry(Action.VIEW, user=admin_a, detail={"n": n}) for n in range(60)])
    assert [e.detail["n"] for e in events] == list(range(60))
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert len({e.lane for e in events}) == 1
    stored = list(AuditEvent.objects.filter(lane=events[0].lane).order_by("id")
                  .values_list("pk", "prev_hash", "hash"))[-60:]
    assert [pk for pk, _, _ in stored] == [e.pk for e in events]
    assert all(prev == before[2] for (_, prev, _), before in zip(stored[1:], stored[:-1],
                                                                 strict=True))
    assert verified() == "OK: 61 entries, chain intact\n"
