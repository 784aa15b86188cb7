"""The outcome definitions in Polars (what a data scientist now picks), as a second baseline
for the benchmark: one lazy query per table, Polars' own optimiser and threads. "The latest
/ earliest assessment in a window" is a max / min of a packed key (seconds x KEY + total),
as in the pandas baseline. Returns the same integer tables as `report.engine_counts`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ketacare.analytics import definitions as d
from ketacare.analytics.report import COUNT_FIELDS, UNSPECIFIED

KEYS = ["patient_id", "instrument"]


def _scan(data: Path, name: str, columns: list[str], ts: str | None = None) -> pl.LazyFrame:
    frame = pl.scan_parquet(data / f"{name}.parquet").select(columns)
    if ts is None:
        return frame
    return frame.with_columns((pl.col(ts).dt.epoch("s")).alias("at")).drop(ts)


def counts_polars(data: Path) -> dict[str, Any]:
    patients = _scan(data, "patients", ["patient_id", "primary_condition"]).select(
        "patient_id", condition=pl.col("primary_condition").fill_null(UNSPECIFIED)
    )
    sessions = _scan(data, "sessions", ["course_id", "patient_id", "started_at"], "started_at")
    as_of = int(sessions.select(pl.col("at").max()).collect().item())
    index = (
        sessions.group_by("course_id")
        .agg(pl.col("patient_id").first(), t0=pl.col("at").min(), n=pl.len())
        .sort("patient_id", "t0", "course_id")
        .unique("patient_id", keep="first")
        .collect()
        .lazy()
    )
    a = (
        _scan(
            data,
            "assessments",
            ["patient_id", "instrument", "total", "completed_at"],
            "completed_at",
        )
        .filter(pl.col("instrument").is_in(d.OUTCOME_INSTRUMENTS))
        .join(index.select("patient_id", "t0"), on="patient_id")
        .with_columns(
            dt=pl.col("at") - pl.col("t0"),
            total=pl.col("total").cast(pl.Int64),
            packed=pl.col("at") * d.KEY + pl.col("total"),
        )
        .collect()
        .lazy()
    )

    def window(cond: pl.Expr, how: str, name: str) -> pl.LazyFrame:
        agg = pl.col("packed").max() if how == "max" else pl.col("packed").min()
        return a.filter(cond).group_by(KEYS).agg(agg.alias(name))

    floor = pl.col("instrument").replace_strict(d.clinical_range_min(), default=None)
    base = (
        window(pl.col("dt").is_between(-d.BASELINE_MAX_AGE_S, 0), "max", "p")
        .select(*KEYS, base=pl.col("p") % d.KEY)
        .filter(pl.col("base") >= floor)
    )
    after = a.filter(pl.col("dt") > 0)
    rem = d.remission_rules()
    c = (
        base.join(index, on="patient_id")
        .join(patients, on="patient_id")
        .join(
            window(pl.col("dt").is_between(d.RAPID_FROM_S, d.RAPID_TO_S), "min", "rp"),
            on=KEYS,
            how="left",
        )
        .join(
            window((pl.col("dt") >= d.POST_FROM_S) & (pl.col("dt") < d.POST_BEFORE_S), "max", "pp"),
            on=KEYS,
            how="left",
        )
        .join(after.group_by(KEYS).agg(last=pl.col("dt").max()), on=KEYS, how="left")
        .join(
            after.join(base, on=KEYS)
            .filter(pl.col("total") * 2 <= pl.col("base"))
            .group_by(KEYS)
            .agg(first=pl.col("dt").min()),
            on=KEYS,
            how="left",
        )
        .with_columns(
            rapid=pl.col("rp") % d.KEY, post=pl.col("pp") % d.KEY, post_at=pl.col("pp") // d.KEY
        )
        .with_columns(post_response=(pl.col("post") * 2 <= pl.col("base")).fill_null(False))
    )
    followed = after.join(c.filter("post_response").select(*KEYS, "post_at"), on=KEYS)
    for w in d.SUSTAINED_WEEKS:
        target = pl.col("post_at") + w * 7 * d.DAY
        near = (
            followed.filter(
                pl.col("at").is_between(
                    target - d.SUSTAINED_TOLERANCE_S, target + d.SUSTAINED_TOLERANCE_S
                )
            )
            .group_by(KEYS)
            .agg((pl.col("packed").max() % d.KEY).alias(f"s{w}"))
        )
        c = c.join(near, on=KEYS, how="left")
    judged = pl.col("t0") <= as_of - d.DROPOUT_FOLLOW_UP_S
    rem_max = pl.col("instrument").replace_strict({k: v[0] for k, v in rem.items()})
    rem_drop = pl.col("instrument").replace_strict({k: v[1] for k, v in rem.items()})
    flags = {
        "n_clinical": pl.col("base").is_not_null(),  # every cohort row
        "n_rapid_assessed": pl.col("rapid").is_not_null(),
        "n_rapid_response": pl.col("rapid") * 2 <= pl.col("base"),
        "n_post_assessed": pl.col("post").is_not_null(),
        "n_post_response": pl.col("post_response"),
        "n_post_partial": ~pl.col("post_response") & (pl.col("post") * 4 <= pl.col("base") * 3),
        "n_post_remission": (pl.col("post") <= rem_max)
        & (pl.col("base") - pl.col("post") >= rem_drop),
        "n_responded_ever": pl.col("first").is_not_null(),
        "n_dropout_judged": judged,
        "n_dropout": judged & (pl.col("n") < d.DROPOUT_SESSIONS),
    }
    for w in d.SUSTAINED_WEEKS:
        flags[f"n_sustained_{w}w_assessed"] = (
            pl.col("post_response") & pl.col(f"s{w}").is_not_null()
        )
        flags[f"n_sustained_{w}w"] = pl.col("post_response") & (
            pl.col(f"s{w}") * 2 <= pl.col("base")
        )
    c = c.collect().lazy()
    summary = (
        c.group_by("instrument", "condition")
        .agg(*(flags[f].fill_null(False).cast(pl.Int64).sum().alias(f) for f in COUNT_FIELDS))
        .collect()
    )
    hist = (
        c.filter(pl.col("first").is_not_null())
        .select(*KEYS, "condition", "course_id", limit=pl.col("t0") + pl.col("first"))
        .join(sessions.select("course_id", "at"), on="course_id")
        .filter(pl.col("at") <= pl.col("limit"))
        .group_by(*KEYS, "condition")
        .agg(size=pl.len())
        .group_by("instrument", "condition", "size")
        .agg(n=pl.len())
        .collect()
    )
    km = (
        c.filter(pl.col("last").is_not_null())
        .with_columns(event=pl.col("first").is_not_null().cast(pl.Int64))
        .group_by(
            "instrument",
            "condition",
            day=pl.when(pl.col("event") == 1).then(pl.col("first")).otherwise(pl.col("last"))
            // d.DAY,
        )
        .agg(pl.col("event").sum(), censored=(1 - pl.col("event")).sum())
        .collect()
    )
    retention = (
        index.filter(judged)
        .join(patients, on="patient_id")
        .group_by("condition", "n")
        .agg(count=pl.len())
        .collect()
    )
    return {
        "as_of_s": as_of,
        "summary": sorted(
            (r[0], r[1], *(int(v) for v in r[2:]))
            for r in summary.select("instrument", "condition", *COUNT_FIELDS).iter_rows()
        ),
        "sessions": sorted(
            (i, cn, int(s), int(n))
            for i, cn, s, n in hist.select("instrument", "condition", "size", "n").iter_rows()
        ),
        "km": sorted(
            (i, cn, int(day), int(e), int(cz))
            for i, cn, day, e, cz in km.select(
                "instrument", "condition", "day", "event", "censored"
            ).iter_rows()
        ),
        "retention": sorted(
            (cn, int(n), int(k))
            for cn, n, k in retention.select("condition", "n", "count").iter_rows()
        ),
    }
