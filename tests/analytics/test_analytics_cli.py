"""`ketacare synth` and `ketacare analytics report` end to end; bad input exits 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ketacare.cli import main

RUN = "import sys; from ketacare.cli import main; sys.exit(main())"


def ketacare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "reg"
    done = ketacare(
        "synth", "--patients", "200", "--clinics", "2", "--seed", "1", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"]["patients"] == 200
    return out


def test_report_json_and_csv(data: Path) -> None:
    done = ketacare("analytics", "report", "--data", str(data))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["engine"] == "duckdb"
    phq9 = next(r for r in report["rows"] if (r["instrument"], r["condition"]) == ("phq9", "all"))
    rate = phq9["post_induction_response"]
    assert rate["ci95_low"] <= rate["rate"] <= rate["ci95_high"]
    done = ketacare("analytics", "report", "--data", str(data), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert done.returncode == 0 and len(rows) == len(report["rows"])
    assert rows[0]["post_induction_response_rate"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["analytics", "report", "--data", "DATA", "--engine", "oracle"],
            "--engine must be one of",
        ),
        (["analytics", "report", "--data", "DATA", "--format", "xlsx"], "--format must be one of"),
        (["analytics", "report", "--data", "DATA", "--format", "pdf"], "--format pdf needs --out"),
        (
            ["analytics", "report", "--data", "DATA", "--format", "pdf", "--out", "/no/such/r.pdf"],
            "directory /no/such does not exist",
        ),
        (["analytics", "report", "--data", "DATA", "--out", "DATA"], "--out must be a file"),
        (["analytics", "report", "--data", "DATA", "--full"], "--full is for snapshot only"),
        (["analytics", "report", "--data", "/nonexistent"], "--data must be a directory"),
        (["analytics", "report"], "--data DIR is required"),
        (
            ["analytics", "report", "--engine", "postgres", "--pg-schema", "kc_no_such_schema"],
            "has no registry table",
        ),
        (["analytics", "report", "--nope"], "unrecognized arguments"),
        (["analytics", "report", "--live", "--data", "DATA"], "leave out --data and --pg-url"),
        (["synth", "--patients", "0", "--out", "X"], "--patients must be an integer from 1"),
        (["synth", "--patients", "ten", "--out", "X"], "--patients must be an integer"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    data: Path, args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (fast); the same path as the console script, up to sys.exit.
    with pytest.raises(SystemExit) as exit_info:
        main([str(data) if a == "DATA" else a for a in args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_bad_input_from_the_console_script(data: Path) -> None:
    done = ketacare("analytics", "report", "--data", str(data), "--engine", "oracle")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--engine" in done.stderr
