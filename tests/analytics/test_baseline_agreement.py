"""Analytics computes baselines as an Ibis expression (definitions.windows); the app uses
ketacare.clinical.baseline. Both must pick the same score for the same data (DuckDB)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from ketacare.analytics import definitions as d
from ketacare.analytics.engines import duckdb_registry
from ketacare.clinical import baseline

from .registry_builder import T0, Builder, D, S

EDGES = [-30 * D - S, -30 * D, -30 * D + S, -D, -S, 0 * S, S, 2 * D]


def test_analytics_baseline_agrees_with_the_clinical_core(tmp_path: Path) -> None:
    rng = random.Random(14)
    b = Builder()
    scores: dict[int, list[tuple[datetime, int]]] = {}
    for pid in range(1, 61):
        start = T0 + pid * D
        b.patient(pid, start=start)
        mine = []
        for _ in range(rng.randint(0, 4)):
            offset = rng.choice(EDGES) if rng.random() < 0.6 else timedelta(
                seconds=rng.randint(-40 * 86400, 3 * 86400))
            mine.append((start + offset, rng.randint(0, 27)))
        for at, total in mine:
            b.score(pid, at, total)
        scores[pid] = mine
    with duckdb_registry(b.write(tmp_path / "reg")) as reg:
        index = d.index_courses(reg.sessions)
        df = d.windows(d.timed_assessments(reg.assessments, index)).execute()
    engine = {int(r["patient_id"]): r["base_total"] for r in df.to_dict("records")}
    checked = 0
    for pid, mine in scores.items():
        chosen = baseline.choose(mine, T0 + pid * D, at=lambda s: s[0], total=lambda s: s[1])
        got = engine.get(pid)
        got = None if got is None or got != got else int(got)  # NaN -> None
        assert got == (chosen[1] if chosen else None), (pid, mine)
        checked += chosen is not None
    assert checked >= 15  # the data really exercises the window


def test_clinical_range_lies_above_every_remission_cut_off() -> None:
    """Why analytics needs no 'baseline already in remission' rule (outcomes.classify has
    one): its cohort starts in clinical range, above each remission cut-off."""
    ranges, rules = d.clinical_range_min(), d.remission_rules()
    assert all(ranges[name] > rules[name][0] for name in d.OUTCOME_INSTRUMENTS)
