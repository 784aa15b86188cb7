"""Outcome definitions of clinical-reference.md section 2, written once as Ibis expressions.

Every function takes Ibis tables of the registry schema (schema.py) and returns an Ibis
expression, so the same definition runs on DuckDB, PostgreSQL and Spark. The unit of
analysis is a patient's *index course* (the course holding the patient's earliest session)
and one outcome instrument; `t0` is the start of that course's first session.

Time is compared in whole seconds since t0 (`dt`), so window edges are exact:
- baseline: latest assessment with -30 days <= dt <= 0 (at or before the first session);
- rapid response: first assessment with 12 h <= dt <= 36 h;
- post-induction: latest assessment on elapsed day 14..31, i.e. 14 d <= dt < 32 d;
- in clinical range: baseline total >= the instrument's `clinical_range_min`.

"Latest"/"first" pick by time, then (on an exact tie in the second) by the higher/lower
total. Both are encoded in one integer key `epoch_seconds * 100 + total` (totals are < 100),
so every engine picks the same row with a plain MAX/MIN aggregate, no window function.
The results are integer counts: rates, Wilson intervals, medians and Kaplan-Meier curves are
computed from those counts in Python (stats.py, km.py), so engines agree exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from ketacare.clinical.baseline import BASELINE_MAX_AGE
from ketacare.clinical.instruments import get as get_instrument

HOUR = 3600
DAY = 86400
KEY = 100  # totals of every outcome instrument are below 100 (PCL-5 max 80, MADRS max 60)

OUTCOME_INSTRUMENTS = ("phq9", "gad7", "pcl5", "qids-sr16", "madrs")
# The clinical core's baseline rule (clinical.baseline, reference s.2): one number.
BASELINE_MAX_AGE_S = int(BASELINE_MAX_AGE.total_seconds())
RAPID_FROM_S, RAPID_TO_S = 12 * HOUR, 36 * HOUR
POST_FROM_S, POST_BEFORE_S = 14 * DAY, 32 * DAY  # elapsed days 14..31 inclusive
# Sustained response: still a responder 4 and 8 weeks after the post-induction assessment,
# judged on the latest assessment within +-7 days of each (tolerance is ours [check]).
SUSTAINED_WEEKS = (4, 8)
SUSTAINED_TOLERANCE_S = 7 * DAY
DROPOUT_SESSIONS = 6  # fewer sessions than this in the index course = dropout
DROPOUT_FOLLOW_UP_S = 28 * DAY  # courses younger than this at the data's end are not judged


def clinical_range_min() -> dict[str, int]:
    out: dict[str, int] = {}
    for name in OUTCOME_INSTRUMENTS:
        value = get_instrument(name).clinical_range_min
        assert value is not None, name
        out[name] = value
    return out


def remission_rules() -> dict[str, tuple[int, int]]:
    """instrument -> (max total, min drop from baseline; 0 when none)."""
    out: dict[str, tuple[int, int]] = {}
    for name in OUTCOME_INSTRUMENTS:
        rule = get_instrument(name).remission
        assert rule is not None, name
        out[name] = (rule.max_total, rule.min_drop or 0)
    return out


def _lookup(column: ir.StringValue, mapping: dict[str, int]) -> ir.IntegerValue:
    """Per-instrument constant as an expression (NULL for an instrument not in mapping)."""
    branches = ((k, ibis.literal(v, "int64")) for k, v in mapping.items())
    value: ir.IntegerValue = column.cases(*branches)
    return value


def _as_is(table: ir.Table) -> ir.Table:
    return table


@dataclass(frozen=True)
class Registry:
    """The registry tables as an engine presents them: the Parquet schema plus integer
    epoch seconds `sessions.started_s` and `assessments.completed_s` (engines.py adds them
    the fastest way each engine has; all definitions compare times through them)."""

    patients: ir.Table
    courses: ir.Table
    sessions: ir.Table
    assessments: ir.Table
    # Stores an intermediate result as a temporary table where the engine allows it, so the
    # cohort (one pass over the assessments) is computed once for the report's queries.
    materialize: Callable[[ir.Table], ir.Table] = _as_is


def course_starts(sessions: ir.Table) -> ir.Table:
    """Per course: patient, t0_s (first session, epoch seconds), last_s (latest session)
    and number of sessions."""
    s = sessions.mutate(at_s=sessions.started_s)
    return s.group_by(["course_id", "patient_id"]).aggregate(
        t0_s=s.at_s.min(), last_s=s.at_s.max(), n_sessions=s.session_id.count()
    )


def data_end(starts: ir.Table) -> ir.Scalar:
    """The registry's end, epoch seconds: its latest session (from `course_starts`)."""
    return starts.last_s.max()


def index_courses(sessions: ir.Table, starts: ir.Table | None = None) -> ir.Table:
    """Per patient, the course holding the earliest session (ties: the lower course_id).
    `starts` is `course_starts(sessions)` when the caller has it already."""
    c = course_starts(sessions) if starts is None else starts
    first = c.group_by("patient_id").aggregate(t0_s=c.t0_s.min())
    tied = c.join(first, ["patient_id", "t0_s"])
    pick = tied.group_by("patient_id").aggregate(course_id=tied.course_id.min())
    return c.join(pick, ["patient_id", "course_id"]).select(
        "patient_id", "course_id", "t0_s", "n_sessions"
    )


def timed_assessments(assessments: ir.Table, index: ir.Table) -> ir.Table:
    """Assessments with dt = seconds since the index course's first session. Instruments
    that are not outcome instruments are not filtered out here (a pass over every row):
    they have no clinical range, so `cohort` drops them with the baseline filter."""
    a = assessments.select(
        "patient_id",
        "instrument",
        "total",
        at_s=assessments.completed_s,
    )
    j = a.join(index, "patient_id")
    return j.select(
        j.patient_id,
        j.instrument,
        j.total.cast("int64").name("total"),
        j.at_s,
        j.t0_s,
        (j.at_s - j.t0_s).name("dt"),
    )


def windows(timed: ir.Table) -> ir.Table:
    """Per patient and instrument: baseline, rapid and post-induction totals, the latest
    assessment's time and the lowest total of any assessment (`cohort` derives the last
    follow-up from the one and uses the other to skip patients who never respond). t0 is
    not carried: `cohort` takes it from the index course, one aggregate fewer here."""
    key = timed.at_s * KEY + timed.total
    dt = timed.dt
    agg = timed.group_by(["patient_id", "instrument"]).aggregate(
        base_key=key.max(where=(dt <= 0) & (dt >= -BASELINE_MAX_AGE_S)),
        rapid_key=key.min(where=(dt >= RAPID_FROM_S) & (dt <= RAPID_TO_S)),
        post_key=key.max(where=(dt >= POST_FROM_S) & (dt < POST_BEFORE_S)),
        last_at_s=timed.at_s.max(),
        lowest_total=timed.total.min(),
    )
    return agg.select(
        "patient_id",
        "instrument",
        "last_at_s",
        "lowest_total",
        base_total=agg.base_key % KEY,
        rapid_total=agg.rapid_key % KEY,
        post_total=agg.post_key % KEY,
        post_at_s=(agg.post_key // KEY).cast("int64"),
    )


def is_response(baseline: ir.IntegerValue, current: ir.IntegerValue) -> ir.BooleanValue:
    """Reduction >= 50%: (b - c) / b >= 0.5, in integers."""
    return (current * 2) <= baseline


def is_partial(baseline: ir.IntegerValue, current: ir.IntegerValue) -> ir.BooleanValue:
    """Reduction 25-49%."""
    return ~is_response(baseline, current) & ((current * 4) <= (baseline * 3))


def is_remission(
    instrument: ir.StringValue, baseline: ir.IntegerValue, current: ir.IntegerValue
) -> ir.BooleanValue:
    rules = remission_rules()
    ceiling = _lookup(instrument, {k: v[0] for k, v in rules.items()})
    min_drop = _lookup(instrument, {k: v[1] for k, v in rules.items()})
    return (current <= ceiling) & ((baseline - current) >= min_drop)


def in_clinical_range(instrument: ir.StringValue, baseline: ir.IntegerValue) -> ir.BooleanValue:
    return baseline >= _lookup(instrument, clinical_range_min())


def follow_up(assessments: ir.Table, cohort: ir.Table) -> ir.Table:
    """Per cohort row: seconds from t0 to the first response, and the totals 4 and 8 weeks
    after the post-induction assessment (for sustained response).

    One join per outcome instrument, of that instrument's assessments to its cohort rows on
    the patient alone (one cohort row per patient, so DuckDB joins through a perfect hash
    on the integer id instead of hashing (patient, instrument)), the results stacked. Every
    condition is an aggregate filter: a row filter over both sides would become part of
    the join condition and rule the perfect hash out.
    """
    parts = []
    for name in OUTCOME_INSTRUMENTS:
        mine = assessments.filter(assessments.instrument == name)
        a = mine.select("patient_id", total=mine.total.cast("int64"), at_s=mine.completed_s)
        rows = cohort.filter(cohort.instrument == name)
        # The window edges once per cohort row rather than once per assessment.
        edges = {}
        for weeks in SUSTAINED_WEEKS:
            target = rows.post_at_s + weeks * 7 * DAY
            edges[f"from_{weeks}w"] = target - SUSTAINED_TOLERANCE_S
            edges[f"to_{weeks}w"] = target + SUSTAINED_TOLERANCE_S
        j = a.join(rows.select("patient_id", "base_total", "t0_s", **edges), "patient_id")
        key = j.at_s * KEY + j.total
        aggs: dict[str, ir.Value] = {
            "first_response_at_s": j.at_s.min(
                where=(j.at_s > j.t0_s) & is_response(j.base_total, j.total))
        }
        for weeks in SUSTAINED_WEEKS:
            near = (j.at_s >= j[f"from_{weeks}w"]) & (j.at_s <= j[f"to_{weeks}w"])
            aggs[f"sustained_{weeks}w_key"] = key.max(where=near)
        g = j.group_by("patient_id").aggregate(**aggs)
        parts.append(g.select("patient_id", instrument=ibis.literal(name, "string"),
                              **{k: g[k] for k in aggs}))
    return ibis.union(*parts, distinct=False)


def cohort(reg: Registry, index: ir.Table) -> ir.Table:
    """One row per patient and instrument in clinical range at baseline, with every outcome.
    `index` is `index_courses(reg.sessions)`, best materialised: the planners otherwise
    recompute it in every branch that uses it (doubling DuckDB's time at 1M patients)."""
    timed = timed_assessments(reg.assessments, index)
    w = windows(timed)
    w = w.filter(w.base_total.notnull() & in_clinical_range(w.instrument, w.base_total))
    w = w.join(index, "patient_id")
    # Materialised too: both the follow-up join and the cohort read it, and planners that
    # inline it would aggregate every assessment twice.
    w = reg.materialize(w.mutate(
        last_follow_s=ibis.ifelse(w.last_at_s > w.t0_s, w.last_at_s - w.t0_s,
                                  ibis.null("int64"))))
    # Only a patient with a response among all their totals can have a first response or
    # (being a post-induction responder) a sustained one: the others (~40% at 1M patients)
    # are left out of the second pass, whose left join gives them NULLs as before.
    resp = follow_up(reg.assessments, w.filter(is_response(w.base_total, w.lowest_total)))
    c = w.join(
        reg.patients.select("patient_id", condition=reg.patients.primary_condition),
        "patient_id",
    )
    c = c.left_join(resp, ["patient_id", "instrument"]).select(
        c.patient_id,
        c.instrument,
        c.condition,
        c.course_id,
        c.t0_s,
        c.n_sessions,
        c.base_total,
        c.rapid_total,
        c.post_total,
        c.last_follow_s,
        (resp.first_response_at_s - c.t0_s).name("first_response_s"),
        *(
            (resp[f"sustained_{w}w_key"] % KEY).name(f"sustained_{w}w_total")
            for w in SUSTAINED_WEEKS
        ),
    )
    c = c.mutate(
        rapid_response=is_response(c.base_total, c.rapid_total),
        post_response=is_response(c.base_total, c.post_total),
        post_partial=is_partial(c.base_total, c.post_total),
        post_remission=is_remission(c.instrument, c.base_total, c.post_total),
    )
    return c.mutate(
        **{
            f"sustained_{w}w": c.post_response
            & is_response(c.base_total, c[f"sustained_{w}w_total"])
            for w in SUSTAINED_WEEKS
        }
    )


def sessions_to_response(reg: Registry, cohort_t: ir.Table) -> ir.Table:
    """Responders: sessions of the index course started at or before the first response."""
    r = cohort_t.filter(cohort_t.first_response_s.notnull()).select(
        "patient_id", "instrument", "condition", "course_id", "t0_s", "first_response_s"
    )
    s = reg.sessions.select("course_id", at_s=reg.sessions.started_s)
    j = r.join(s, "course_id")
    j = j.filter((j.at_s - j.t0_s) <= j.first_response_s)
    return j.group_by(["patient_id", "instrument", "condition"]).aggregate(sessions=j.at_s.count())


def _count(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """Rows where condition is true (NULL counts as false); portable (no bool->int cast)."""
    return ibis.ifelse(condition, 1, 0).cast("int64").sum()


def summary_counts(cohort_t: ir.Table, as_of_s: int) -> ir.Table:
    """Per instrument and condition: the integer counts every rate of the report comes from."""
    c = cohort_t
    judged = c.t0_s <= as_of_s - DROPOUT_FOLLOW_UP_S
    return c.group_by(["instrument", "condition"]).aggregate(
        n_clinical=c.patient_id.count(),
        n_rapid_assessed=c.rapid_total.count(),
        n_rapid_response=_count(c.rapid_response),
        n_post_assessed=c.post_total.count(),
        n_post_response=_count(c.post_response),
        n_post_partial=_count(c.post_partial),
        n_post_remission=_count(c.post_remission),
        n_responded_ever=c.first_response_s.count(),
        n_sustained_4w_assessed=_count(c.post_response & c.sustained_4w_total.notnull()),
        n_sustained_4w=_count(c.sustained_4w),
        n_sustained_8w_assessed=_count(c.post_response & c.sustained_8w_total.notnull()),
        n_sustained_8w=_count(c.sustained_8w),
        n_dropout_judged=_count(judged),
        n_dropout=_count(judged & (c.n_sessions < DROPOUT_SESSIONS)),
    )


def retention_histogram(patients: ir.Table, index: ir.Table, as_of_s: int) -> ir.Table:
    """Per condition: how many index courses had exactly n sessions, among courses started
    at least DROPOUT_FOLLOW_UP_S before the data's end (as for dropout: a younger course has
    not had the time). The retention funnel is its reverse cumulative sum (report.py)."""
    judged = index.filter(index.t0_s <= as_of_s - DROPOUT_FOLLOW_UP_S)
    j = judged.join(patients.select("patient_id", condition=patients.primary_condition),
                    "patient_id")
    return j.group_by(["condition", "n_sessions"]).aggregate(n=j.patient_id.count())


def sessions_histogram(str_t: ir.Table) -> ir.Table:
    return str_t.group_by(["instrument", "condition", "sessions"]).aggregate(
        n=str_t.patient_id.count()
    )


def time_to_response(cohort_t: ir.Table) -> ir.Table:
    """Kaplan-Meier input per patient: time in whole days, event 1 = response, 0 = censored.

    Censoring is at the last assessment after t0; patients with no follow-up are left out.
    """
    c = cohort_t.filter(cohort_t.last_follow_s.notnull())
    event = c.first_response_s.notnull()
    time_s = ibis.ifelse(event, c.first_response_s, c.last_follow_s)
    return c.select(
        "patient_id",
        "instrument",
        "condition",
        day=(time_s // DAY).cast("int64"),
        event=ibis.ifelse(event, 1, 0).cast("int64"),
    )


def km_counts(tte: ir.Table) -> ir.Table:
    return tte.group_by(["instrument", "condition", "day"]).aggregate(
        events=tte.event.sum(), censored=(1 - tte.event).sum()
    )


