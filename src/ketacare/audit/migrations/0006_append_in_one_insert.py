"""PostgreSQL: `ketacare_audit_append` inserts a response's entries with one INSERT.

Migration 0005's function inserted them one statement per entry, in list order, so that ids
ascend along the chain as `verify` walks a lane. A list or search response writes one entry
per patient it shows (50 for a FHIR page of 50 patients' resources), and an INSERT for
each made the call 12-15% slower than one INSERT for all (median of 30 committed calls of
50 entries: 5.1-5.9 ms against 4.5-5.0 ms, the commit's WAL flush included;
docs/performance.md, session 13). The ids are now drawn from the table's sequence
first, sorted, and given to the entries by their place in the list: one INSERT, and the
ids still ascend along the chain whatever order the database inserts the rows in.

Everything else is 0005's: the lane lock, the head check, the check that the entries
follow each other, SECURITY INVOKER.
"""

from __future__ import annotations

import importlib

from django.db import migrations

from ketacare.migration_sql import vendor_sql

_previous = importlib.import_module("ketacare.audit.migrations.0005_append_function")

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION ketacare_audit_append(
        lock_class integer, lanes integer, lane_wanted integer, entries jsonb,
        OUT lane_taken integer, OUT head_hash text, OUT ids bigint[])
    LANGUAGE plpgsql AS $fn$
    DECLARE
        step integer;
        i integer;
        n integer := jsonb_array_length(entries);
    BEGIN
        -- The wanted lane if free, else the next free one; all busy: one this transaction
        -- already holds (waiting for another could deadlock), else wait for the wanted one.
        FOR step IN 0 .. lanes - 1 LOOP
            IF pg_try_advisory_xact_lock(lock_class, (lane_wanted + step) % lanes) THEN
                lane_taken := (lane_wanted + step) % lanes;
                EXIT;
            END IF;
        END LOOP;
        IF lane_taken IS NULL THEN
            SELECT l.objid::integer INTO lane_taken FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.classid = lock_class::oid
              AND l.objsubid = 2 AND l.pid = pg_backend_pid() LIMIT 1;
        END IF;
        IF lane_taken IS NULL THEN
            PERFORM pg_advisory_xact_lock(lock_class, lane_wanted);
            lane_taken := lane_wanted;
        END IF;
        SELECT e.hash INTO head_hash FROM audit_auditevent e
        WHERE e.lane = lane_taken ORDER BY e.id DESC LIMIT 1;
        head_hash := coalesce(head_hash, repeat('0', 64));
        IF lane_taken <> lane_wanted OR n = 0
           OR entries -> 0 ->> 'prev_hash' IS DISTINCT FROM head_hash THEN
            RETURN;  -- nothing written: ids stays NULL
        END IF;
        FOR i IN 1 .. n - 1 LOOP
            IF entries -> i ->> 'prev_hash' IS DISTINCT FROM entries -> (i - 1) ->> 'hash' THEN
                RAISE EXCEPTION 'audit entries do not follow each other';
            END IF;
        END LOOP;
        -- Ascending ids, the first to the first entry: ids ascend along the chain.
        SELECT array_agg(s.id ORDER BY s.id) INTO ids FROM (
            SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id')) AS id
            FROM generate_series(1, n)) s;
        INSERT INTO audit_auditevent (id, at, user_id, username, role, clinic_id, patient_id,
            action, object_type, object_id, ip, detail, lane, prev_hash, hash)
        SELECT ids[r.ordinality], r.at, r.user_id, r.username, r.role, r.clinic_id,
            r.patient_id, r.action, r.object_type, r.object_id, r.ip, r.detail, lane_taken,
            r.prev_hash, r.hash
        FROM jsonb_populate_recordset(NULL::audit_auditevent, entries)
            WITH ORDINALITY AS r;
    END
    $fn$
    """,
]

STATEMENTS = {"postgresql": (PG_INSTALL, _previous.PG_INSTALL)}


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_append_function")]

    operations = [vendor_sql(STATEMENTS)]
