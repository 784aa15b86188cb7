"""The outcome definitions in pandas as an expert writes them (the benchmark's baseline).

What makes it fast, against a straightforward merge/sort/groupby version (issue #17):
- the instrument is a categorical and (patient, instrument) one int64 group key;
- per-patient values (index course, its start, its sessions) are looked up through an
  index (`get_indexer`, what `reindex` does) instead of merges;
- "the latest / earliest assessment in a window" is a groupby max / min of one packed
  int64 key (seconds x KEY + total), not a sort followed by head/tail.

It returns the same integer tables as `report.engine_counts`, so the benchmark and a test
check that every implementation computes the same thing before comparing their speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ketacare.analytics import definitions as d
from ketacare.analytics.report import COUNT_FIELDS, UNSPECIFIED

INSTRUMENTS = list(d.OUTCOME_INSTRUMENTS)
K = len(INSTRUMENTS)


def _seconds(table: pa.Table, column: str) -> np.ndarray:
    return pc.divide(table[column].cast(pa.int64()), 1_000_000).to_numpy()


def _per_key(values: np.ndarray, keys: np.ndarray, how: str) -> pd.Series:
    return getattr(pd.Series(values).groupby(keys, sort=False), how)()


def counts_pandas(data: Path) -> dict[str, Any]:
    pt = pq.read_table(data / "patients.parquet", columns=["patient_id", "primary_condition"])
    patients = pd.Series(
        pt["primary_condition"].to_pandas().fillna(UNSPECIFIED).to_numpy(),
        index=pt["patient_id"].to_numpy(),
    ).astype("category")
    st = pq.read_table(data / "sessions.parquet", columns=["course_id", "patient_id", "started_at"])
    s_course, s_pid, s_at = (
        st["course_id"].to_numpy(),
        st["patient_id"].to_numpy(),
        _seconds(st, "started_at"),
    )
    as_of = int(s_at.max())
    at = pq.read_table(
        data / "assessments.parquet", columns=["patient_id", "instrument", "total", "completed_at"]
    )
    at = at.filter(pc.is_in(at["instrument"], pa.array(INSTRUMENTS)))

    # Courses and each patient's index course (earliest start, then lowest id).
    g = pd.DataFrame({"course_id": s_course, "patient_id": s_pid, "at": s_at}).groupby(
        "course_id", sort=False
    )
    courses = pd.DataFrame(
        {"patient_id": g.patient_id.first(), "t0": g.at.min(), "n": g.at.size()}
    ).reset_index()
    index = courses.sort_values(["patient_id", "t0", "course_id"]).drop_duplicates("patient_id")
    index = index.set_index("patient_id")

    # Assessments of patients with a course, keyed by (patient, instrument).
    a_pid = at["patient_id"].to_numpy()
    pos = index.index.get_indexer(a_pid)
    keep = pos >= 0
    pos = pos[keep]
    code = pd.Categorical(at["instrument"].to_numpy(zero_copy_only=False), INSTRUMENTS).codes
    key = a_pid[keep] * K + code[keep]
    a_at = _seconds(at, "completed_at")[keep]
    total = at["total"].to_numpy()[keep].astype(np.int64)
    dt = a_at - index.t0.to_numpy()[pos]
    packed = a_at * d.KEY + total  # max/min = the latest/earliest, ties by total

    def in_window(lo: int, hi: int, how: str, closed_hi: bool = True) -> pd.Series:
        m = (dt >= lo) & ((dt <= hi) if closed_hi else (dt < hi))
        return _per_key(packed[m], key[m], how)

    base = in_window(-d.BASELINE_MAX_AGE_S, 0, "max") % d.KEY
    floor = np.array([d.clinical_range_min()[i] for i in INSTRUMENTS])
    base = base[base.to_numpy() >= floor[base.index.to_numpy() % K]]
    rapid = in_window(d.RAPID_FROM_S, d.RAPID_TO_S, "min")
    post = in_window(d.POST_FROM_S, d.POST_BEFORE_S, "max", closed_hi=False)
    after = dt > 0
    last = _per_key(dt[after], key[after], "max")
    bt = base.reindex(key[after]).to_numpy()
    resp = total[after] * 2 <= bt  # NaN (no baseline) compares False
    first = _per_key(dt[after][resp], key[after][resp], "min")

    ck = base.index.to_numpy()
    c_pid, c_code = ck // K, ck % K
    c_idx = index.reindex(c_pid)
    b = base.to_numpy()
    rapid_total = rapid.reindex(ck).to_numpy() % d.KEY
    post_packed = post.reindex(ck).to_numpy()
    post_total, post_at = post_packed % d.KEY, post_packed // d.KEY
    rem = d.remission_rules()
    rem_max = np.array([rem[i][0] for i in INSTRUMENTS])[c_code]
    rem_drop = np.array([rem[i][1] for i in INSTRUMENTS])[c_code]
    post_response = post_total * 2 <= b
    cols: dict[str, Any] = {
        "n_clinical": np.ones(len(ck), dtype=np.int64),
        "n_rapid_assessed": ~np.isnan(rapid_total),
        "n_rapid_response": rapid_total * 2 <= b,
        "n_post_assessed": ~np.isnan(post_total),
        "n_post_response": post_response,
        "n_post_partial": ~post_response & (post_total * 4 <= b * 3),
        "n_post_remission": (post_total <= rem_max) & (b - post_total >= rem_drop),
        "n_responded_ever": first.reindex(ck).notna().to_numpy(),
    }
    # Sustained response: latest assessment within +-7 d of 4 and 8 weeks after post-induction.
    post_at_by_key = pd.Series(post_at[post_response], index=ck[post_response])
    fu_post = post_at_by_key.reindex(key[after]).to_numpy()
    fu = ~np.isnan(fu_post)
    fu_key, fu_at, fu_packed, fu_post = (
        key[after][fu],
        a_at[after][fu],
        packed[after][fu],
        fu_post[fu],
    )
    for w in d.SUSTAINED_WEEKS:
        target = fu_post + w * 7 * d.DAY
        m = (fu_at >= target - d.SUSTAINED_TOLERANCE_S) & (
            fu_at <= target + d.SUSTAINED_TOLERANCE_S
        )
        near = (_per_key(fu_packed[m], fu_key[m], "max") % d.KEY).reindex(ck).to_numpy()
        cols[f"n_sustained_{w}w_assessed"] = post_response & ~np.isnan(near)
        cols[f"n_sustained_{w}w"] = post_response & (near * 2 <= b)
    judged = c_idx.t0.to_numpy() <= as_of - d.DROPOUT_FOLLOW_UP_S
    cols["n_dropout_judged"] = judged
    cols["n_dropout"] = judged & (c_idx.n.to_numpy() < d.DROPOUT_SESSIONS)
    cond = patients.reindex(c_pid).to_numpy()
    c = pd.DataFrame({f: np.asarray(cols[f], dtype=np.int64) for f in COUNT_FIELDS})
    c["instrument"], c["condition"] = np.array(INSTRUMENTS)[c_code], cond
    summary = c.groupby(["instrument", "condition"], observed=True, sort=False).sum()

    # Sessions up to the first response, per responder (patient, instrument).
    first_c = first.reindex(ck).to_numpy()
    r = ~np.isnan(first_c)
    r_frame = pd.DataFrame(
        {
            "course_id": c_idx.course_id.to_numpy()[r],
            "key": ck[r],
            "limit": c_idx.t0.to_numpy()[r] + first_c[r],
        }
    )
    sess = pd.DataFrame({"course_id": s_course, "at": s_at})
    sess = sess[np.isin(s_course, r_frame.course_id.to_numpy())]
    rs = sess.merge(r_frame, on="course_id")
    per = rs["key"][rs["at"].to_numpy() <= rs["limit"].to_numpy()].value_counts()
    hist = pd.DataFrame(
        {
            "instrument": np.array(INSTRUMENTS)[per.index.to_numpy() % K],
            "condition": patients.reindex(per.index.to_numpy() // K).to_numpy(),
            "size": per.to_numpy(),
        }
    ).value_counts()

    last_c = last.reindex(ck).to_numpy()
    k = ~np.isnan(last_c)
    event = r[k]
    km = (
        pd.DataFrame(
            {
                "instrument": c.instrument[k],
                "condition": c.condition[k],
                "day": (np.where(event, first_c[k], last_c[k]) // d.DAY).astype(np.int64),
                "event": event.astype(np.int64),
                "censored": (~event).astype(np.int64),
            }
        )
        .groupby(["instrument", "condition", "day"], observed=True, sort=False)
        .sum()
    )
    judged_index = index[index.t0.to_numpy() <= as_of - d.DROPOUT_FOLLOW_UP_S]
    ret = pd.DataFrame(
        {"condition": patients.reindex(judged_index.index).to_numpy(), "n": judged_index.n}
    ).value_counts()
    return {
        "as_of_s": as_of,
        "summary": sorted(
            (str(i), str(cn), *(int(v) for v in row))
            for (i, cn), row in zip(summary.index, summary.to_numpy(), strict=True)
        ),
        "sessions": sorted((str(i), str(cn), int(s), int(n)) for (i, cn, s), n in hist.items()),
        "km": sorted(
            (str(i), str(cn), int(day), int(e), int(cz))
            for (i, cn, day), (e, cz) in zip(km.index, km.to_numpy(), strict=True)
        ),
        "retention": sorted((str(cn), int(s), int(n)) for (cn, s), n in ret.items()),
    }
