"""`ketacare audit verify` and `ketacare audit export`."""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from ketacare import cli
from ketacare.audit.models import Action, AuditEvent

ALL_FIELDS = {"id", "at", "user_id", "username", "role", "clinic_id", "patient_id", "action",
              "object_type", "object_id", "ip", "detail", "lane", "prev_hash", "hash"}


@pytest.fixture
def ketacare(monkeypatch):
    """`ketacare ...` in-process. Django closes every connection when a command run from
    the command line ends; on PostgreSQL that would end the test's transaction."""
    monkeypatch.setattr(connections, "close_all", lambda: None)
    return cli.main


def run(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ketacare audit ARGS`, in-process."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def trail(audit, admin_a, admin_b, clinic_a, clinic_b, patient_a):
    """Five entries, oldest first: a sign-in, then clinic A and B entries around midnight
    of 1 March 2024 in New York (UTC-5) and London (UTC+0)."""
    return [
        audit.record_at(datetime(2024, 2, 20, 15, tzinfo=UTC), Action.SIGN_IN, user=admin_a),
        # 23:00 on 29 February in New York.
        audit.record_at(datetime(2024, 3, 1, 4, tzinfo=UTC), Action.VIEW, user=admin_a,
                        clinic_id=clinic_a.pk, patient_id=patient_a.pk, obj=patient_a),
        audit.record_at(datetime(2024, 3, 1, 5, tzinfo=UTC), Action.SEARCH, user=admin_b,
                        clinic_id=clinic_b.pk, detail={"matches": 2}),
        # 01:00 on 1 March in New York.
        audit.record_at(datetime(2024, 3, 1, 6, tzinfo=UTC), Action.UPDATE, user=admin_a,
                        clinic_id=clinic_a.pk, patient_id=patient_a.pk, obj=patient_a,
                        detail={"fields": ["mobile"]}),
        audit.record_at(datetime(2024, 3, 2, 12, tzinfo=UTC), Action.VIEW, user=admin_b,
                        clinic_id=clinic_b.pk),
    ]


# verify -----------------------------------------------------------------------------

def test_verify_an_intact_chain(trail):
    assert run("verify") == (0, "OK: 5 entries, chain intact\n", "")


def test_verify_an_empty_trail(db):
    assert run("verify")[:2] == (0, "OK: 0 entries, chain intact\n")


@pytest.mark.parametrize(("sql", "value"), [
    ("UPDATE audit_auditevent SET detail = %s WHERE id = %s",
     json.dumps({"fields": ["nothing to see"]})),
    ("UPDATE audit_auditevent SET username = %s WHERE id = %s", "someone-else"),
])
def test_verify_names_a_changed_entry(audit, trail, sql, value):
    target = trail[3]
    changed = audit.tamper(sql, [value, target.pk])
    assert changed == 1
    code, out, err = run("verify")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert f"entry {target.pk}:" in err
    assert "changed" in err


def test_verify_detects_a_removed_entry(audit, trail):
    assert audit.tamper("DELETE FROM audit_auditevent WHERE id = %s", [trail[2].pk]) == 1
    code, _, err = run("verify")
    assert code == 1
    # The entry after the gap no longer follows its predecessor.
    assert f"entry {trail[3].pk}:" in err
    assert "removed" in err


def test_verify_detects_a_forged_entry(audit, trail):
    forged = AuditEvent(at=trail[1].at, username="ghost", action="view", detail={},
                        prev_hash=trail[4].hash, hash="f" * 64)
    forged.save()
    code, _, err = run("verify")
    assert code == 1
    assert f"entry {forged.pk}:" in err


def test_verify_through_the_ketacare_command(audit, trail, capsys, ketacare):
    assert ketacare(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "OK: 5 entries, chain intact\n"
    audit.tamper("UPDATE audit_auditevent SET ip = %s WHERE id = %s", ["10.9.9.9", trail[0].pk])
    with pytest.raises(SystemExit) as exit_info:
        ketacare(["audit", "verify"])
    assert exit_info.value.code == 1
    assert f"entry {trail[0].pk}:" in capsys.readouterr().err


# export -----------------------------------------------------------------------------

def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_writes_one_json_object_per_entry(trail):
    code, out, _ = run("export")
    assert code == 0
    rows = lines(out)
    assert [r["id"] for r in rows] == [e.pk for e in trail]
    assert all(set(r) == ALL_FIELDS for r in rows)
    stored = {e.pk: e for e in AuditEvent.objects.all()}
    for row in rows:
        event = stored[row["id"]]
        assert (row["hash"], row["prev_hash"]) == (event.hash, event.prev_hash)
        assert {k: row[k] for k in event.chained_fields()} == event.chained_fields()
    assert rows[3]["detail"] == {"fields": ["mobile"]}


def test_export_is_itself_recorded(trail):
    run("export")
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.action == Action.EXPORT
    assert event.username.startswith("cli:")
    assert event.detail["entries"] == 5
    assert run("verify")[0] == 0


def exported_ids(*args: str) -> list[int]:
    """Ids exported, leaving out the entries earlier exports wrote about themselves."""
    return [r["id"] for r in lines(run("export", *args)[1]) if r["action"] != "export"]


def test_export_filters_by_clinic_and_since(trail, clinic_a, clinic_b):
    assert exported_ids("--clinic", str(clinic_a.pk)) == [trail[1].pk, trail[3].pk]
    # --since is a date in the clinic's zone with --clinic, in UTC without.
    assert exported_ids("--since", "2024-03-01", "--clinic", str(clinic_a.pk)) == [trail[3].pk]
    assert exported_ids("--since", "2024-03-01", "--clinic", str(clinic_b.pk)) == [
        trail[2].pk, trail[4].pk]
    assert exported_ids("--since", "2024-03-01") == [e.pk for e in trail[1:]]
    assert exported_ids("--since", "2024-03-03") == []


def test_export_to_a_file_readable_by_its_owner_only(trail, tmp_path):
    target = tmp_path / "audit.jsonl"
    code, out, err = run("export", "--out", str(target))
    assert code == 0
    assert out == ""
    assert f"Wrote 5 entries to {target}" in err
    assert len(lines(target.read_text())) == 5
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "2024-13-01"], "--since must be a date YYYY-MM-DD"),
    (["--since", "yesterday"], "--since must be a date YYYY-MM-DD"),
    (["--clinic", "A"], "--clinic: no clinic with id or name 'A' among the clinics: "),
    (["--clinic", "987654"], "--clinic: no clinic with id or name '987654'"),
    (["--out", "/nonexistent-dir/audit.jsonl"], "--out: cannot write"),
])
def test_bad_export_options_exit_2(trail, args, message, capsys, ketacare):
    with pytest.raises(CommandError) as error:
        call_command("audit", "export", *args)
    assert error.value.returncode == 2
    assert message in str(error.value)
    # From the command line: exit 2, one line on stderr, nothing on stdout.
    with pytest.raises(SystemExit) as exit_info:
        ketacare(["audit", "export", *args])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
