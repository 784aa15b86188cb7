"""The outcome report: counts from an engine, then rates, Wilson intervals, medians, KM."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pandas as pd

from . import definitions as d
from .km import kaplan_meier, km_median
from .stats import median_from_histogram, wilson

Executor = Callable[[Any], pd.DataFrame]
COUNT_FIELDS = (
    "n_clinical",
    "n_rapid_assessed",
    "n_rapid_response",
    "n_post_assessed",
    "n_post_response",
    "n_post_partial",
    "n_post_remission",
    "n_responded_ever",
    "n_sustained_4w_assessed",
    "n_sustained_4w",
    "n_sustained_8w_assessed",
    "n_sustained_8w",
    "n_dropout_judged",
    "n_dropout",
)
ALL = "all"


UNSPECIFIED = "unspecified"  # a patient with no primary condition recorded


def _condition(value: Any) -> str:
    """The condition as a group label; NULL (None or NaN, by engine) -> "unspecified"."""
    return UNSPECIFIED if value is None or value != value else str(value)


def engine_counts(reg: d.Registry, as_of_s: int | None = None) -> dict[str, Any]:
    """Run the definitions on the engine; return plain-Python integer tables. The data's
    end (`as_of_s`, epoch seconds) is by default its latest session; a live clinic passes
    the present moment."""
    starts = reg.materialize(d.course_starts(reg.sessions))
    as_of = d.data_end(starts).execute() if as_of_s is None else as_of_s
    index = reg.materialize(d.index_courses(reg.sessions, starts))
    c = reg.materialize(d.cohort(reg, index))  # one pass over the assessments, three queries
    summary = d.summary_counts(c, int(as_of)).execute()
    retention = d.retention_histogram(reg.patients, index, int(as_of)).execute()
    hist = d.sessions_histogram(d.sessions_to_response(reg, c)).execute()
    km = d.km_counts(d.time_to_response(c)).execute()
    return {
        "as_of_s": int(as_of),
        "summary": sorted(
            (str(r.instrument), _condition(r.condition),
             *(int(getattr(r, f)) for f in COUNT_FIELDS))
            for r in summary.itertuples()
        ),
        "sessions": sorted(
            (str(r.instrument), _condition(r.condition), int(r.sessions), int(r.n))
            for r in hist.itertuples()
        ),
        "km": sorted(
            (str(r.instrument), _condition(r.condition), int(r.day), int(r.events), int(r.censored))
            for r in km.itertuples()
        ),
        "retention": sorted(
            (_condition(r.condition), int(r.n_sessions), int(r.n)) for r in retention.itertuples()
        ),
    }


def _rate(k: int, n: int) -> dict[str, Any]:
    p, lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": _round(p), "ci95_low": _round(lo), "ci95_high": _round(hi)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def build_report(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per instrument x condition, plus an "all" condition per instrument."""
    summ: dict[tuple[str, str], list[int]] = {}
    for row in counts["summary"]:
        key = (row[0], row[1])
        summ[key] = list(row[2:])
        tot = summ.setdefault((row[0], ALL), [0] * len(COUNT_FIELDS))
        if key != (row[0], ALL):
            summ[(row[0], ALL)] = [a + b for a, b in zip(tot, row[2:], strict=True)]
    sess: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for inst, cond, sessions, n in counts["sessions"]:
        sess[(inst, cond)][sessions] += n
        sess[(inst, ALL)][sessions] += n
    kmr: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for inst, cond, day, ev, cens in counts["km"]:
        for key in ((inst, cond), (inst, ALL)):
            kmr[key][day][0] += ev
            kmr[key][day][1] += cens
    out = []
    for (inst, cond), v in sorted(summ.items()):
        f = dict(zip(COUNT_FIELDS, v, strict=True))
        points = kaplan_meier((day, e, c) for day, (e, c) in kmr[(inst, cond)].items())
        out.append(
            {
                "instrument": inst,
                "condition": cond,
                "n_clinical_range": f["n_clinical"],
                "rapid_response": _rate(f["n_rapid_response"], f["n_rapid_assessed"]),
                "post_induction_response": _rate(f["n_post_response"], f["n_post_assessed"]),
                "post_induction_partial": _rate(f["n_post_partial"], f["n_post_assessed"]),
                "post_induction_remission": _rate(f["n_post_remission"], f["n_post_assessed"]),
                "sustained_response_4w": _rate(f["n_sustained_4w"], f["n_sustained_4w_assessed"]),
                "sustained_response_8w": _rate(f["n_sustained_8w"], f["n_sustained_8w_assessed"]),
                "median_sessions_to_response": median_from_histogram(sess[(inst, cond)]),
                "n_responders": f["n_responded_ever"],
                "km_median_days_to_response": km_median(points),
                "km": points,
                "dropout_before_session_6": _rate(f["n_dropout"], f["n_dropout_judged"]),
            }
        )
    return out


FUNNEL_SESSIONS = tuple(range(1, 9))  # an IV induction is 6 sessions, esketamine's 8


def build_retention(histogram: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    """The retention funnel per condition (and "all"): patients whose index course reached
    session k, for k in FUNNEL_SESSIONS, with the share of those who started."""
    exact: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for condition, sessions, n in histogram:
        exact[condition][sessions] += n
        exact[ALL][sessions] += n
    out = []
    for condition in sorted(exact, key=lambda c: (c == ALL, c)):
        started = sum(exact[condition].values())
        steps = []
        for k in FUNNEL_SESSIONS:
            reached = sum(n for s, n in exact[condition].items() if s >= k)
            steps.append({"session": k, "patients": reached,
                          "share": _round(reached / started) if started else None})
        out.append({"condition": condition, "started": started, "steps": steps})
    return out


CSV_COLUMNS = (
    "instrument",
    "condition",
    "n_clinical_range",
    *(
        f"{m}_{part}"
        for m in (
            "rapid_response",
            "post_induction_response",
            "post_induction_partial",
            "post_induction_remission",
            "sustained_response_4w",
            "sustained_response_8w",
            "dropout_before_session_6",
        )
        for part in ("k", "n", "rate", "ci95_low", "ci95_high")
    ),
    "median_sessions_to_response",
    "n_responders",
    "km_median_days_to_response",
)


def flat_rows(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in report:
        flat: dict[str, Any] = {}
        for k, v in r.items():
            if isinstance(v, dict):
                for part, x in v.items():
                    flat[f"{k}_{part}"] = x
            elif k != "km":
                flat[k] = v
        rows.append({c: flat.get(c) for c in CSV_COLUMNS})
    return rows
