"""The `ketacare score / outcome / instruments` contract, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KETACARE = str(Path(sys.executable).parent / "ketacare")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KETACARE, *args], capture_output=True, text=True, timeout=60)


def ok_json(*args: str) -> dict:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_phq9_with_difficulty() -> None:
    out = ok_json("score", "phq9", "3", "3", "2", "2", "2", "2", "2", "1", "1", "2")
    assert out == {
        "instrument": "phq9",
        "total": 18,
        "min": 0,
        "max": 27,
        "severity": "moderately_severe",
        "flags": ["suicidal_ideation"],
        "difficulty": 2,
    }


def test_phq9_without_difficulty_has_no_difficulty_key() -> None:
    out = ok_json("score", "phq9", *["0"] * 9)
    assert out["total"] == 0 and out["severity"] == "minimal" and out["flags"] == []
    assert "difficulty" not in out


def test_pcl5_extras() -> None:
    out = ok_json("score", "pcl5", *["2"] * 20)
    assert out["total"] == 40 and out["severity"] is None
    assert out["clusters"] == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert out["endorsed"] == {"B": 5, "C": 2, "D": 7, "E": 6}
    assert out["provisional_ptsd"] is True and out["probable_ptsd"] is True


def test_qids_domains() -> None:
    out = ok_json("score", "qids-sr16", "3", "0", "0", "0", *["1"] * 12)
    assert out["domains"]["sleep"] == 3
    assert out["total"] == 3 + 8 and out["severity"] == "moderate"


@pytest.mark.parametrize(
    ("values", "severity", "flags"),
    [
        (["0", "0", "0", "0"], "negative", []),
        (["0", "1", "0", "0", "0"], "positive_non_acute", ["suicide_risk"]),
        (["1", "1", "0", "0", "1"], "positive_acute", ["suicide_risk", "suicide_risk_acute"]),
        (["0", "0", "declined", "0", "0"], "positive_non_acute", ["suicide_risk"]),
    ],
)
def test_asq(values: list[str], severity: str, flags: list[str]) -> None:
    out = ok_json("score", "asq", *values)
    assert out["total"] is None and out["severity"] == severity and out["flags"] == flags


def test_outcome_categories() -> None:
    out = ok_json("outcome", "phq9", "20", "4")
    assert out["change"] == -16 and out["percent_change"] == -80.0
    assert out["response"] is True and out["remission"] is True
    assert out["category"] == "remission"
    assert set(out) == {"instrument", "baseline", "current", "change", "percent_change",
                        "response", "partial_response", "remission", "category"}
    # Worsening is checked first; a baseline already in remission range is never remission.
    assert ok_json("outcome", "phq9", "0", "3")["category"] == "worsened"
    zero = ok_json("outcome", "phq9", "0", "0")
    assert zero["remission"] is False and zero["category"] == "no_response"
    assert ok_json("outcome", "phq9", "20", "10")["category"] == "response"
    assert ok_json("outcome", "phq9", "20", "14")["category"] == "partial_response"
    assert ok_json("outcome", "phq9", "20", "19")["category"] == "no_response"
    assert ok_json("outcome", "phq9", "12", "15")["category"] == "worsened"
    # The clinic's threshold (setting outcome_worsened_pct): +25% is not worsening at 30%.
    assert ok_json("outcome", "phq9", "12", "15", "--worsened-pct", "30")["category"] == (
        "no_response")
    madrs = ok_json("outcome", "madrs", "30", "12", "--remission-max", "12")
    assert madrs["remission"] is True


def test_instruments_lists_every_instrument() -> None:
    result = run("instruments")
    assert result.returncode == 0
    for instrument_id in ("phq9", "gad7", "pcl5", "qids-sr16", "madrs", "cadss", "cadss6",
                          "bprs-positive", "asq"):
        assert instrument_id in result.stdout
    rows = json.loads(run("instruments", "--json").stdout)
    assert {r["id"]: r["items"] for r in rows}["cadss6"] == 6


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["score", "hamd", "1"], "hamd: unknown instrument; known instruments are"),
        (["score", "phq9", "1", "1"], "phq9: expected 9 or 10 values (items 1-9, optional item 10), got 2"),
        (["score", "gad7", "0", "0", "4", "0", "0", "0", "0"], "gad7 item 3: 4 is out of range; allowed values are 0, 1, 2, 3"),
        (["score", "gad7", "0", "x", "0", "0", "0", "0", "0"], "gad7 item 2: 'x' is not a number; allowed values are 0, 1, 2, 3"),
        (["score", "gad7", "0", "-1", "0", "0", "0", "0", "0"], "gad7 item 2: -1 is out of range"),
        (["score", "asq", "0", "0", "0", "0", "1"], "asq item 5"),
        (["score", "asq", "1", "0", "0", "0"], "asq item 5"),
        (["score", "asq", "0", "0", "declined", "0"], "asq item 5: required when any of items 1-4"),
        (["score", "asq", "0", "refused", "0", "0"], "asq item 2: 'refused' is not a number; allowed values are 0, 1, declined"),
        (["score", "bprs-positive", "0", "1", "1", "1"], "bprs-positive item 1: 0 is out of range; allowed values are 1, 2, 3, 4, 5, 6, 7"),
        (["outcome", "phq9", "20"], "the following arguments are required: current"),
        (["outcome", "phq9", "20", "30"], "phq9: current 30 is out of range; totals run from 0 to 27"),
        (["outcome", "asq", "1", "0"], "asq: has no total score"),
        (["outcome", "phq9", "20", "25", "--worsened-pct", "0"],
         "worsened_pct: 0.0 is not a percentage from 5 to 100"),
        (["outcome", "phq9", "20", "25", "--worsened-pct", "x"],
         "argument --worsened-pct: invalid float value: 'x'"),
        (["score"], "the following arguments are required: instrument"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_help_lists_clinical_and_app_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "score" in result.stdout and "serve" in result.stdout


def test_help_for_a_hyphenated_app_command() -> None:
    result = run("help", "two-factor")
    assert result.returncode == 0, result.stderr
    assert "usage: ketacare two_factor" in result.stdout and "reset" in result.stdout
