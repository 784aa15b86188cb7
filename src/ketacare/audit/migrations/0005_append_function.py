"""PostgreSQL: `ketacare_audit_append`, one statement that takes a lane, checks its head and
inserts a response's entries (`audit.log.write`).

Before, an audited read took five round trips to write its entry (BEGIN, the lane's
advisory lock, the lane's last hash, the INSERT, COMMIT), and the ORM's Python work for
each was most of an API read's cost. The writer now remembers the last hash it wrote on its
lane and sends the entries chained from it; this function, under the lane lock, inserts them
only if that hash is still the lane's head, and otherwise inserts nothing and says which
lane it could take and that lane's head (the writer then chains again under the lock).
Outside a transaction the call is a transaction of its own: one round trip.

The hash is computed by the application (the HMAC key never reaches the database); the
function only checks that the entries follow the head and each other, so no writer can fork
a lane even with a wrong guess. Each statement of a PL/pgSQL function takes a new snapshot
(READ COMMITTED), so the head is read after the lock is granted and sees every entry of the
lane's previous holder. SECURITY INVOKER (the default): it inserts with the caller's rights.
"""

from __future__ import annotations

from django.db import migrations

from ketacare.migration_sql import vendor_sql

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION ketacare_audit_append(
        lock_class integer, lanes integer, lane_wanted integer, entries jsonb,
        OUT lane_taken integer, OUT head_hash text, OUT ids bigint[])
    LANGUAGE plpgsql AS $fn$
    DECLARE
        step integer;
        i integer;
        new_id bigint;
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
        IF lane_taken <> lane_wanted OR jsonb_array_length(entries) = 0
           OR entries -> 0 ->> 'prev_hash' IS DISTINCT FROM head_hash THEN
            RETURN;  -- nothing written: ids stays NULL
        END IF;
        ids := '{}';
        FOR i IN 0 .. jsonb_array_length(entries) - 1 LOOP
            IF i > 0 AND entries -> i ->> 'prev_hash' IS DISTINCT FROM
                         entries -> (i - 1) ->> 'hash' THEN
                RAISE EXCEPTION 'audit entries do not follow each other';
            END IF;
            -- One at a time, in list order: ids ascend along the chain.
            INSERT INTO audit_auditevent (at, user_id, username, role, clinic_id, patient_id,
                action, object_type, object_id, ip, detail, lane, prev_hash, hash)
            SELECT r.at, r.user_id, r.username, r.role, r.clinic_id, r.patient_id,
                r.action, r.object_type, r.object_id, r.ip, r.detail, lane_taken,
                r.prev_hash, r.hash
            FROM jsonb_populate_record(NULL::audit_auditevent, entries -> i) r
            RETURNING id INTO new_id;
            ids := ids || new_id;
        END LOOP;
    END
    $fn$
    """,
]
PG_REMOVE = [
    "DROP FUNCTION IF EXISTS ketacare_audit_append(integer, integer, integer, jsonb)"]

STATEMENTS = {"postgresql": (PG_INSTALL, PG_REMOVE)}


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_denied_action")]

    operations = [vendor_sql(STATEMENTS)]
