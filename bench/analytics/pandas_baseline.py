"""A straightforward pandas implementation of the same outcome definitions (baseline for
the benchmark). It returns the same integer tables as `report.engine_counts`, so the
benchmark can check that both compute the same thing before comparing their speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ketacare.analytics import definitions as d
from ketacare.analytics.report import COUNT_FIELDS, UNSPECIFIED


def _read(data: Path, name: str, columns: list[str], ts: str | None = None) -> pd.DataFrame:
    table = pq.read_table(data / f"{name}.parquet", columns=columns)
    if ts is not None:
        seconds = pc.divide(table[ts].cast(pa.int64()), 1_000_000)
        table = table.drop_columns([ts]).append_column("at_s", seconds)
    return table.to_pandas()


def counts_pandas(data: Path) -> dict[str, Any]:
    patients = _read(data, "patients", ["patient_id", "primary_condition"])
    # As report.engine_counts labels a NULL condition (groupby would drop it).
    patients["primary_condition"] = patients.primary_condition.fillna(UNSPECIFIED)
    sessions = _read(data, "sessions", ["course_id", "patient_id", "started_at"], "started_at")
    a = _read(
        data, "assessments", ["patient_id", "instrument", "total", "completed_at"], "completed_at"
    )
    as_of = int(sessions.at_s.max())

    courses = sessions.groupby(["course_id", "patient_id"], as_index=False).agg(
        t0_s=("at_s", "min"), n_sessions=("at_s", "count")
    )
    index = courses.sort_values(["patient_id", "t0_s", "course_id"]).drop_duplicates("patient_id")

    a = a[a.instrument.isin(d.OUTCOME_INSTRUMENTS)].merge(index, on="patient_id")
    a["total"] = a.total.astype("int64")
    a["dt"] = a.at_s - a.t0_s
    a = a.sort_values(["patient_id", "instrument", "at_s", "total"])
    keys = ["patient_id", "instrument"]

    base = a[(a.dt <= 0) & (a.dt >= -d.BASELINE_MAX_AGE_S)].groupby(keys).tail(1)
    base = base[keys + ["total"]].rename(columns={"total": "base_total"})
    base = base[base.base_total >= base.instrument.map(d.clinical_range_min())]
    rapid = a[(a.dt >= d.RAPID_FROM_S) & (a.dt <= d.RAPID_TO_S)].groupby(keys).head(1)
    post = a[(a.dt >= d.POST_FROM_S) & (a.dt < d.POST_BEFORE_S)].groupby(keys).tail(1)
    after = a[a.dt > 0]
    last = after.groupby(keys, as_index=False).dt.max().rename(columns={"dt": "last_follow_s"})
    resp = after.merge(base, on=keys)
    resp = resp[resp.total * 2 <= resp.base_total]
    first = resp.groupby(keys, as_index=False).dt.min().rename(columns={"dt": "first_s"})

    c = (
        base.merge(index, on="patient_id")
        .merge(patients.rename(columns={"primary_condition": "condition"}), on="patient_id")
        .merge(
            rapid[keys + ["total"]].rename(columns={"total": "rapid_total"}), on=keys, how="left"
        )
        .merge(
            post[keys + ["total", "at_s"]].rename(
                columns={"total": "post_total", "at_s": "post_at_s"}
            ),
            on=keys,
            how="left",
        )
        .merge(last, on=keys, how="left")
        .merge(first, on=keys, how="left")
    )
    rem = d.remission_rules()
    c["rapid_response"] = c.rapid_total * 2 <= c.base_total
    c["post_response"] = c.post_total * 2 <= c.base_total
    c["post_partial"] = ~c.post_response & (c.post_total * 4 <= c.base_total * 3)
    c["post_remission"] = (c.post_total <= c.instrument.map({k: v[0] for k, v in rem.items()})) & (
        (c.base_total - c.post_total) >= c.instrument.map({k: v[1] for k, v in rem.items()})
    )
    # Sustained response: latest assessment within +-7 d of 4 and 8 weeks after post-induction.
    pa_ = c[c.post_response][keys + ["post_at_s", "base_total"]]
    fu = after.merge(pa_, on=keys)
    for w in d.SUSTAINED_WEEKS:
        target = fu.post_at_s + w * 7 * d.DAY
        near = fu[
            (fu.at_s >= target - d.SUSTAINED_TOLERANCE_S)
            & (fu.at_s <= target + d.SUSTAINED_TOLERANCE_S)
        ]
        last_near = near.groupby(keys).tail(1)[keys + ["total"]]
        last_near = last_near.rename(columns={"total": f"s{w}_total"})
        c = c.merge(last_near, on=keys, how="left")
        c[f"s{w}_assessed"] = c.post_response & c[f"s{w}_total"].notna()
        c[f"s{w}"] = c.post_response & (c[f"s{w}_total"] * 2 <= c.base_total)
    c["judged"] = c.t0_s <= as_of - d.DROPOUT_FOLLOW_UP_S
    c["dropout"] = c.judged & (c.n_sessions < d.DROPOUT_SESSIONS)
    g = c.groupby(["instrument", "condition"])
    summary = pd.DataFrame(
        {
            "n_clinical": g.size(),
            "n_rapid_assessed": g.rapid_total.count(),
            "n_rapid_response": g.rapid_response.sum(),
            "n_post_assessed": g.post_total.count(),
            "n_post_response": g.post_response.sum(),
            "n_post_partial": g.post_partial.sum(),
            "n_post_remission": g.post_remission.sum(),
            "n_responded_ever": g.first_s.count(),
            "n_sustained_4w_assessed": g.s4_assessed.sum(),
            "n_sustained_4w": g.s4.sum(),
            "n_sustained_8w_assessed": g.s8_assessed.sum(),
            "n_sustained_8w": g.s8.sum(),
            "n_dropout_judged": g.judged.sum(),
            "n_dropout": g.dropout.sum(),
        }
    ).reset_index()

    r = c[c.first_s.notna()][
        ["patient_id", "instrument", "condition", "course_id", "t0_s", "first_s"]
    ]
    rs = r.merge(sessions[["course_id", "at_s"]], on="course_id")
    rs = rs[rs.at_s - rs.t0_s <= rs.first_s]
    per = rs.groupby(["patient_id", "instrument", "condition"], as_index=False).size()
    hist = per.groupby(["instrument", "condition", "size"], as_index=False).patient_id.count()

    k = c[c.last_follow_s.notna()].copy()
    k["event"] = k.first_s.notna().astype("int64")
    k["day"] = (k.first_s.where(k.event == 1, k.last_follow_s) // d.DAY).astype("int64")
    k["censored"] = 1 - k.event
    km = k.groupby(["instrument", "condition", "day"], as_index=False)[["event", "censored"]].sum()
    judged = index[index.t0_s <= as_of - d.DROPOUT_FOLLOW_UP_S]
    ret = judged.merge(patients, on="patient_id").groupby(
        ["primary_condition", "n_sessions"], as_index=False
    ).patient_id.count()
    return {
        "as_of_s": as_of,
        "summary": sorted(
            (str(row.instrument), str(row.condition), *(int(getattr(row, f)) for f in COUNT_FIELDS))
            for row in summary.itertuples()
        ),
        "sessions": sorted(
            (str(x.instrument), str(x.condition), int(x.size), int(x.patient_id))
            for x in hist.itertuples()
        ),
        "km": sorted(
            (str(x.instrument), str(x.condition), int(x.day), int(x.event), int(x.censored))
            for x in km.itertuples()
        ),
        "retention": sorted(
            (str(x.primary_condition), int(x.n_sessions), int(x.patient_id))
            for x in ret.itertuples()
        ),
    }
