"""Each outcome definition on hand-built patients, at the edges of its window (DuckDB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ketacare.analytics import definitions as d
from ketacare.analytics.engines import duckdb_registry
from ketacare.analytics.report import build_report, engine_counts

from .registry_builder import T0, Builder, D, H, S


def _cohort(b: Builder, tmp_path: Path) -> dict[tuple[int, str], dict[str, Any]]:
    with duckdb_registry(b.write(tmp_path / "reg")) as reg:
        df = d.cohort(reg, d.index_courses(reg.sessions)).execute()
    return {(int(r["patient_id"]), str(r["instrument"])): r for r in df.to_dict("records")}


def _val(row: dict[str, Any], key: str) -> Any:
    v = row[key]
    return None if v is None or v != v else v  # NaN/NA -> None


@pytest.mark.parametrize(
    ("offset", "included"),
    [(-30 * D, True), (-30 * D - S, False), (0 * S, True), (S, False), (-29 * D, True)],
)
def test_baseline_window_edges(tmp_path: Path, offset: Any, included: bool) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 + offset, 20)
    rows = _cohort(b, tmp_path)
    assert ((1, "phq9") in rows) is included


def test_baseline_is_the_latest_in_window(tmp_path: Path) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - 10 * D, 25)
    b.score(1, T0 - 2 * H, 18)
    b.score(1, T0 + H, 3)  # after the first session: never a baseline
    assert _cohort(b, tmp_path)[(1, "phq9")]["base_total"] == 18


@pytest.mark.parametrize(
    ("instrument", "baseline", "included"),
    [
        ("phq9", 9, False),
        ("phq9", 10, True),
        ("gad7", 9, False),
        ("gad7", 10, True),
        ("pcl5", 32, False),
        ("pcl5", 33, True),
        ("qids-sr16", 10, False),
        ("qids-sr16", 11, True),
        ("madrs", 19, False),
        ("madrs", 20, True),
    ],
)
def test_only_patients_in_clinical_range(
    tmp_path: Path, instrument: str, baseline: int, included: bool
) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, baseline, instrument)
    assert ((1, instrument) in _cohort(b, tmp_path)) is included


@pytest.mark.parametrize(
    ("offset", "in_window"),
    [(12 * H - S, False), (12 * H, True), (36 * H, True), (36 * H + S, False)],
)
def test_rapid_window_edges(tmp_path: Path, offset: Any, in_window: bool) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, 20)
    b.score(1, T0 + offset, 10)
    row = _cohort(b, tmp_path)[(1, "phq9")]
    assert (_val(row, "rapid_total") == 10) is in_window
    assert bool(_val(row, "rapid_response")) is in_window


def test_rapid_uses_first_assessment_in_window(tmp_path: Path) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, 20)
    b.score(1, T0 + 13 * H, 14)  # first: no response
    b.score(1, T0 + 30 * H, 6)  # later response does not count as rapid
    row = _cohort(b, tmp_path)[(1, "phq9")]
    assert row["rapid_total"] == 14 and not row["rapid_response"]


@pytest.mark.parametrize(
    ("offset", "in_window"),
    [(14 * D - S, False), (14 * D, True), (31 * D, True), (32 * D - S, True), (32 * D, False)],
)
def test_post_induction_window_edges(tmp_path: Path, offset: Any, in_window: bool) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, 20)
    b.score(1, T0 + offset, 4)
    row = _cohort(b, tmp_path)[(1, "phq9")]
    assert (_val(row, "post_total") == 4) is in_window


def test_post_induction_is_the_latest_in_window(tmp_path: Path) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, 20)
    b.score(1, T0 + 15 * D, 4)
    b.score(1, T0 + 30 * D, 12)
    assert _cohort(b, tmp_path)[(1, "phq9")]["post_total"] == 12


@pytest.mark.parametrize(
    ("instrument", "baseline", "post", "response", "partial", "remission"),
    [
        ("phq9", 20, 10, True, False, False),  # exactly 50%
        ("phq9", 20, 11, False, True, False),  # 45%
        ("phq9", 20, 15, False, True, False),  # exactly 25%
        ("phq9", 20, 16, False, False, False),  # 20%
        ("phq9", 20, 4, True, False, True),  # < 5
        ("phq9", 10, 5, True, False, False),  # 5 is not remission
        ("qids-sr16", 14, 5, True, False, True),  # <= 5
        ("madrs", 30, 10, True, False, True),  # <= 10
        ("madrs", 30, 11, True, False, False),
        ("pcl5", 40, 30, False, True, True),  # < 33 and drop >= 10
        ("pcl5", 40, 32, False, False, False),  # < 33 but drop 8
    ],
)
def test_response_partial_remission(
    tmp_path: Path,
    instrument: str,
    baseline: int,
    post: int,
    response: bool,
    partial: bool,
    remission: bool,
) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, baseline, instrument)
    b.score(1, T0 + 20 * D, post, instrument)
    row = _cohort(b, tmp_path)[(1, instrument)]
    assert (bool(row["post_response"]), bool(row["post_partial"]), bool(row["post_remission"])) == (
        response,
        partial,
        remission,
    )


def test_index_course_is_the_one_with_the_earliest_session(tmp_path: Path) -> None:
    b = Builder()
    b.patient(1, start=T0 + 100 * D, course_id=20)
    b.patient(1, start=T0, course_id=10, sessions=3)
    b.score(1, T0 - H, 20)
    row = _cohort(b, tmp_path)[(1, "phq9")]
    assert row["course_id"] == 10 and row["n_sessions"] == 3


def test_sessions_to_response_dropout_and_km(tmp_path: Path) -> None:
    b = Builder()
    # 1: sessions at day 0, 2, 4, ...; first response on day 3 -> 2 sessions, KM event day 3
    b.patient(1)
    b.score(1, T0 - H, 20)
    b.score(1, T0 + 1 * D, 15)
    b.score(1, T0 + 3 * D, 10)
    b.score(1, T0 + 20 * D, 12)
    # 2: 5 sessions (dropout), never responds, last seen day 10 -> censored day 10
    b.patient(2, sessions=5)
    b.score(2, T0 - H, 20)
    b.score(2, T0 + 10 * D, 18)
    # 3: started 10 days before the data ends: too young to judge dropout
    b.patient(3, sessions=1, start=T0 + 100 * D)
    b.score(3, T0 + 100 * D - H, 20)
    with duckdb_registry(b.write(tmp_path / "reg")) as reg:
        c = d.cohort(reg, d.index_courses(reg.sessions))
        str_df = d.sessions_to_response(reg, c).execute()
        tte = d.time_to_response(c).execute().sort_values("patient_id")
        counts = engine_counts(reg)
    assert str_df.to_dict("records") == [
        {"patient_id": 1, "instrument": "phq9", "condition": "depression", "sessions": 2}
    ]
    assert tte[["patient_id", "day", "event"]].to_dict("records") == [
        {"patient_id": 1, "day": 3, "event": 1},
        {"patient_id": 2, "day": 10, "event": 0},
    ]
    row = next(r for r in build_report(counts) if r["condition"] == "depression")
    assert row["n_clinical_range"] == 3
    assert row["dropout_before_session_6"]["k"] == 1
    assert row["dropout_before_session_6"]["n"] == 2
    assert row["median_sessions_to_response"] == 2
    assert row["km"] == [{"day": 3, "at_risk": 2, "events": 1, "cumulative_response": 0.5}]


@pytest.mark.parametrize(
    ("at_4w", "total_4w", "sustained"),
    [
        (28 * D, 8, True),
        (21 * D, 8, True),
        (35 * D, 8, True),
        (35 * D + S, 8, None),
        (21 * D - S, 8, None),
        (28 * D, 11, False),
    ],
)
def test_sustained_response_4_weeks_after_post_induction(
    tmp_path: Path, at_4w: Any, total_4w: int, sustained: bool | None
) -> None:
    b = Builder()
    b.patient(1)
    b.score(1, T0 - H, 20)
    post_at = T0 + 20 * D
    b.score(1, post_at, 8)  # responder at post-induction
    b.score(1, post_at + at_4w, total_4w)
    row = _cohort(b, tmp_path)[(1, "phq9")]
    assessed = _val(row, "sustained_4w_total") is not None
    assert assessed is (sustained is not None)
    if sustained is not None:
        assert bool(row["sustained_4w"]) is sustained


def test_retention_funnel_counts_index_courses_old_enough(tmp_path: Path) -> None:
    from ketacare.analytics.report import build_retention

    b = Builder()
    b.patient(1, sessions=6)  # completed induction
    b.patient(2, sessions=2)  # stopped after session 2
    b.patient(3, sessions=8, condition="ptsd")  # went on to maintenance
    b.patient(4, sessions=3, course_id=40, start=T0 + 1 * D)  # a later second course of 4...
    b.patient(4, sessions=1, course_id=41)  # ...whose index course is this one-session course
    b.patient(5, sessions=1, start=T0 + 100 * D)  # started 28 days or less before the end
    b.patient(6, sessions=1, start=T0 + 110 * D)  # the data's end
    with duckdb_registry(b.write(tmp_path / "reg")) as reg:
        counts = engine_counts(reg)
    assert counts["retention"] == [("depression", 1, 1), ("depression", 2, 1),
                                   ("depression", 6, 1), ("ptsd", 8, 1)]
    funnel = {f["condition"]: f for f in build_retention(counts["retention"])}
    everyone = funnel["all"]
    assert everyone["started"] == 4
    assert [s["patients"] for s in everyone["steps"]] == [4, 3, 2, 2, 2, 2, 1, 1]
    assert everyone["steps"][1]["share"] == 0.75
    assert [s["patients"] for s in funnel["ptsd"]["steps"]] == [1] * 8
    assert list(funnel) == ["depression", "ptsd", "all"]


def test_patients_without_a_condition_are_counted_as_unspecified(tmp_path: Path) -> None:
    b = Builder()
    b.patient(1, condition=None)  # type: ignore[arg-type]
    b.score(1, T0 - H, 20)
    b.score(1, T0 + 20 * D, 8)
    with duckdb_registry(b.write(tmp_path / "reg")) as reg:
        counts = engine_counts(reg, as_of_s=int((T0 + 60 * D).timestamp()))
    assert counts["summary"][0][:3] == ("phq9", "unspecified", 1)
    assert counts["retention"] == [("unspecified", 6, 1)]
