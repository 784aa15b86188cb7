"""`ketacare pk` contract: run as the installed console script, in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

KETACARE = str(Path(sys.executable).with_name("ketacare"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KETACARE, "pk", *args], capture_output=True, text=True, timeout=120, check=False
    )


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_simulate_racemic_csv() -> None:
    r = run(
        "simulate",
        "--model",
        "domino",
        "--route",
        "iv",
        "--dose-mg-kg",
        "0.5",
        "--weight-kg",
        "70",
        "--infusion-min",
        "40",
        "--until-min",
        "120",
    )
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    assert table[0] == ["time_min", "plasma_ng_ml"]
    assert len(table) == 1 + 121 and table[1][0] == "0" and table[-1][0] == "120"
    assert float(table[41][1]) == pytest.approx(240, rel=0.01)  # reference s.5, t = 40 min


def test_simulate_esketamine_has_metabolite_and_assumptions_on_stderr() -> None:
    r = run(
        "simulate",
        "--model",
        "perez-ruixo-2021",
        "--route",
        "intranasal",
        "--dose-mg",
        "56",
        "--sprays",
        "2",
        "--age",
        "45",
        "--step-min",
        "10",
    )
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    assert table[0] == ["time_min", "plasma_ng_ml", "metabolite_ng_ml"]
    assert len(table) == 1 + 145
    assert all(line.startswith("assumption: ") for line in r.stderr.splitlines())


def test_simulate_first_order_route_says_ka_is_assumed() -> None:
    r = run(
        "simulate",
        "--model",
        "hijazi-2003",
        "--route",
        "sublingual",
        "--dose-mg",
        "100",
        "--weight-kg",
        "80",
        "--until-min",
        "60",
    )
    assert r.returncode == 0, r.stderr
    assert "ASSUMED" in r.stderr and "F = 0.29" in r.stderr


def test_summary_json_keys() -> None:
    r = run("summary", "--model", "perez-ruixo-2021", "--route", "intranasal", "--dose-mg", "84")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    for key in (
        "cmax_ng_ml",
        "tmax_min",
        "auc_0_24h_ng_h_ml",
        "metabolite_cmax_ng_ml",
        "metabolite_tmax_min",
        "metabolite_auc_0_24h_ng_h_ml",
        "model",
        "route",
        "dose_mg",
        "assumptions",
    ):
        assert key in s
    assert s["model"] == "perez-ruixo-2021" and s["route"] == "intranasal"
    assert s["dose_mg"] == 84.0 and isinstance(s["assumptions"], list)
    assert s["cmax_ng_ml"] == pytest.approx(101.0, rel=0.05)


def test_summary_racemic_has_no_metabolite_and_repeated_doses() -> None:
    r = run(
        "summary",
        "--model",
        "domino",
        "--route",
        "iv",
        "--dose-mg",
        "35",
        "--weight-kg",
        "70",
        "--infusion-min",
        "40",
        "--every-min",
        "2880",
        "--doses",
        "3",
        "--until-min",
        "10080",
    )
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert "metabolite_cmax_ng_ml" not in s
    assert s["doses"] == 3 and s["total_dose_mg"] == 105.0


def test_population_csv(tmp_path: Path) -> None:
    metrics = tmp_path / "m.csv"
    r = run(
        "population",
        "--model",
        "perez-ruixo-2021",
        "--route",
        "intranasal",
        "--dose-mg",
        "56",
        "--patients",
        "300",
        "--seed",
        "4",
        "--until-min",
        "240",
        "--step-min",
        "10",
        "--metrics",
        str(metrics),
    )
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    assert table[0] == [
        "time_min",
        "p5_ng_ml",
        "p50_ng_ml",
        "p95_ng_ml",
        "metabolite_p5_ng_ml",
        "metabolite_p50_ng_ml",
        "metabolite_p95_ng_ml",
    ]
    assert len(table) == 1 + 25
    p5, p50, p95 = (float(v) for v in table[5][1:4])
    assert p5 < p50 < p95
    per_patient = rows(metrics.read_text())
    assert per_patient[0][:5] == [
        "patient",
        "cmax_ng_ml",
        "tmax_min",
        "auc_ng_h_ml",
        "time_above_min",
    ]
    assert len(per_patient) == 301
    again = run(
        "population",
        "--model",
        "perez-ruixo-2021",
        "--route",
        "intranasal",
        "--dose-mg",
        "56",
        "--patients",
        "300",
        "--seed",
        "4",
        "--until-min",
        "240",
        "--step-min",
        "10",
    )
    assert again.stdout == r.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["simulate", "--model", "marsh", "--route", "iv", "--dose-mg", "5"],
            "--model: unknown model 'marsh'; allowed: domino, clements-250",
        ),
        (
            ["simulate", "--model", "perez-ruixo-2021", "--route", "im", "--dose-mg", "56"],
            "--route: route 'im' is not available for model perez-ruixo-2021; allowed: "
            "intranasal, iv, oral",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "rectal",
                "--dose-mg",
                "5",
                "--weight-kg",
                "70",
            ],
            "--route: unknown route 'rectal'",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "-5",
                "--weight-kg",
                "70",
            ],
            "--dose-mg: must be a positive number",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "0",
                "--weight-kg",
                "70",
            ],
            "--dose-mg: must be a positive number",
        ),
        (
            ["simulate", "--model", "domino", "--route", "iv", "--dose-mg-kg", "0.5"],
            "--weight-kg: is required for a dose in mg/kg",
        ),
        (
            ["simulate", "--model", "domino", "--route", "iv", "--dose-mg", "35"],
            "--weight-kg: is required for model domino",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--weight-kg",
                "19",
            ],
            "--weight-kg: must be between 20 and 300 kg",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--weight-kg",
                "301",
            ],
            "--weight-kg: must be between 20 and 300 kg",
        ),
        (
            ["simulate", "--model", "perez-ruixo-2021", "--route", "intranasal", "--dose-mg", "50"],
            "--dose-mg: esketamine nasal spray is 28 mg per device",
        ),
        (
            [
                "simulate",
                "--model",
                "perez-ruixo-2021",
                "--route",
                "intranasal",
                "--dose-mg",
                "56",
                "--sprays",
                "3",
            ],
            "--sprays: 3 x 28 mg = 84 mg does not match dose 56 mg",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--weight-kg",
                "70",
                "--sprays",
                "1",
            ],
            "--sprays: applies only to --model perez-ruixo-2021",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "im",
                "--dose-mg",
                "35",
                "--weight-kg",
                "70",
                "--infusion-min",
                "10",
            ],
            "--infusion-min: applies to route iv only",
        ),
        (
            [
                "simulate",
                "--model",
                "perez-ruixo-2021",
                "--route",
                "iv",
                "--dose-mg",
                "20",
                "--age",
                "12",
            ],
            "--age: must be between 18 and 100",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--dose-mg-kg",
                "0.5",
                "--weight-kg",
                "70",
            ],
            "not allowed with argument",
        ),
        (
            ["simulate", "--model", "domino", "--route", "iv", "--weight-kg", "70"],
            "one of the arguments --dose-mg --dose-mg-kg is required",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "abc",
                "--weight-kg",
                "70",
            ],
            "invalid float value: 'abc'",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--weight-kg",
                "70",
                "--step-min",
                "0",
            ],
            "--step-min: must be a positive number",
        ),
        (
            [
                "simulate",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--weight-kg",
                "70",
                "--doses",
                "3",
            ],
            "--every-min: must be a positive number of minutes",
        ),
        (
            [
                "population",
                "--model",
                "domino",
                "--route",
                "iv",
                "--dose-mg",
                "35",
                "--weight-kg",
                "70",
                "--patients",
                "0",
            ],
            "--patients: allowed 1-10000000, got 0",
        ),
        (["teleport"], "invalid choice: 'teleport'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert needle in lines[0]
    assert "Traceback" not in r.stderr


def test_models_lists_routes() -> None:
    r = run("models")
    assert r.returncode == 0
    models = {m["model"]: m["routes"] for m in json.loads(r.stdout)}
    assert models["perez-ruixo-2021"] == ["intranasal", "iv", "oral"]
    assert "sc" in models["domino"]
