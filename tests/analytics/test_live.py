"""`ketacare analytics report --live`: the definitions on the app's own PostgreSQL tables
agree with a snapshot of the same data; on SQLite the option says what to do instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from ketacare.analytics.run import counts_on
from ketacare.analytics.snapshot import snapshot
from ketacare.audit.models import AuditEvent
from ketacare.cli import main

from .test_dashboard_filters import cohort  # noqa: F401  (fixture)

AS_OF = 1_900_000_000  # a fixed data end, so both sides judge dropout alike


@pytest.mark.django_db(transaction=True)
def test_live_report_matches_the_snapshot(cohort, tmp_path: Path,  # noqa: F811
                                          capsys: pytest.CaptureFixture[str]) -> None:
    if connection.vendor != "postgresql":
        with pytest.raises(SystemExit) as exit_:  # the console script's path, in-process
            main(["analytics", "report", "--live"])
        assert exit_.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "must be PostgreSQL" in err and "snapshot" in err
        return
    snapshot(tmp_path / "snap")
    live = counts_on("postgres", None, as_of_s=AS_OF, live=True)
    assert live == counts_on("duckdb", tmp_path / "snap", as_of_s=AS_OF)
    assert ("depression", 6, 6) in live["retention"]
    capsys.readouterr()
    call_command("analytics", "report", "--live")
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == "the app's database (live)"
    assert AuditEvent.objects.filter(object_type="analytics_report_live").count() == 1
    phq9 = next(r for r in report["rows"] if (r["instrument"], r["condition"]) == ("phq9", "all"))
    assert (phq9["post_induction_response"]["k"], phq9["post_induction_response"]["n"]) == (4, 6)
