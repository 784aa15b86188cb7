"""The load-and-crash harness (bench/load/harness.py), short: a real `ketacare serve` on the
database this test run uses, 4 clients for about 30 s of mixed reads and writes, kill -9 of
the whole server 12 s in and a restart. No acknowledged write may be lost or stored twice,
no request may get a 5xx, and the audit chain must verify afterwards (issue 15, item 7)."""

from __future__ import annotations

import os

import pytest
from bench.load import harness
from bench.load.dbside import allowed_saves
from django.conf import settings


@pytest.mark.load
def test_short_load_with_one_kill(monkeypatch: pytest.MonkeyPatch) -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        vendor = "postgres"
        # Next to the test database, under a name of its own, dropped afterwards.
        monkeypatch.setattr(harness, "PG_BASE", "postgres://{}@{}:{}".format(
            db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432))
        monkeypatch.setattr(harness, "PG_PREFIX", f"{db['NAME']}_load")
    else:
        vendor = "sqlite"
    result = harness.run_load(vendor, clients=4, seconds=30, kill_at=12, links=20)
    summary = {k: result[k] for k in ("requests", "statuses", "5xx_examples",
                                      "server_log_problems",
                                      "acknowledged_writes", "lost", "duplicated",
                                      "problems", "audit_verify")}
    print(os.linesep, summary)
    assert result["restart_s"] is not None
    assert result["requests"] > 100 and result["acknowledged_writes"] > 20, summary
    assert result["5xx"] == 0 and result["no_answer_while_up"] == 0, summary
    assert (result["lost"], result["duplicated"]) == (0, 0), summary
    assert result["audit_verify"].startswith("OK:"), summary


def test_a_submit_without_an_answer_may_have_replaced_saved_answers() -> None:
    """CI, stop 20: the kill fell inside a submit, whose answers were saved (their own
    transaction) and whose replay was refused as a used link; the check called the saved
    answers lost."""
    ledger = {"saves": [["t1", 3, 0, True], ["t1", 7, 2, True], ["t1", 5, 1, False]],
              "submits": [["t1", [1, 1, 2, 1, 3, 0, 1, 0, 0], False]]}
    assert allowed_saves(ledger) == {("t1", "3"): {0, 2}, ("t1", "7"): {2, 1}}
    ledger["submits"] = []
    assert allowed_saves(ledger) == {("t1", "3"): {0}, ("t1", "7"): {2}}
