"""Synthetic registry: N virtual patients with courses, sessions, vitals and score trajectories.

Vectorised with numpy, written chunk by chunk to the Parquet tables of schema.py. The model
is a calibration aid, not a simulation of ketamine's effect: each patient has a plateau
improvement `m` (fraction of baseline lost, Beta-distributed), a share `u` of it reached
24 h after the first session, and approaches the plateau with each session; after the
induction the gain decays slowly. Parameters were tuned so that the report on a large
synthetic registry lands near the real-world IV series of clinical-reference.md s.6:
PHQ-9 post-induction (14-31 d) response ~50-54% and remission ~20-29% (McInnes 2022,
Oliver 2022), with rapid (12-36 h) response lower. Dropout before session 6 is set to
~25% [check: no primary source for a real-world rate was found].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .schema import COMPRESSION, SCHEMAS, TS, table_path

HOUR, DAY = 3600, 86400
EPOCH_START = 1_609_459_200  # 2021-01-01T00:00:00Z
SPAN_S = 4 * 365 * DAY
MAX_SESSIONS = 10
CONDITIONS = np.array(["depression", "ptsd", "anxiety"])
CONDITION_P = [0.6, 0.2, 0.2]
DROPOUT_P = 0.25  # [check]


@dataclass(frozen=True)
class Spec:
    n_items: int
    item_max: int
    baseline_mean: float
    baseline_sd: float
    noise_sd: float
    effect: float  # scales the patient's plateau improvement for this instrument


SPECS = {
    "phq9": Spec(9, 3, 16.5, 4.5, 1.5, 1.0),
    "gad7": Spec(7, 3, 14.5, 3.5, 1.4, 1.0),
    "pcl5": Spec(20, 4, 52.0, 12.0, 4.0, 0.8),
    "qids-sr16": Spec(16, 3, 16.0, 4.0, 1.5, 1.0),  # total is over 9 domains (0-27)
    "madrs": Spec(10, 6, 31.0, 7.0, 3.0, 1.0),
}
QIDS_DOMAINS = ((0, 1, 2, 3), (4,), (5, 6, 7, 8), (9,), (10,), (11,), (12,), (13,), (14, 15))
PROTOCOLS = [  # (protocol, route, drug, probability, mg/kg or fixed mg)
    ("iv-induction-6", "iv", "ketamine", 0.70, 0.5),
    ("im-induction-6", "im", "ketamine", 0.10, 0.75),
    ("esketamine-ns-induction", "intranasal", "esketamine", 0.15, 0.0),
    ("sl-home-6", "sublingual", "ketamine", 0.05, 3.0),
]


def _items(rng: np.random.Generator, totals: np.ndarray, instrument: str) -> pa.Array:
    """Item lists consistent with each total (spread evenly, remainder at a random offset)."""
    spec = SPECS[instrument]
    slots = 9 if instrument == "qids-sr16" else spec.n_items
    base = totals // slots
    rem = totals % slots
    shift = rng.integers(0, slots, size=len(totals))
    idx = (np.arange(slots)[None, :] - shift[:, None]) % slots
    values = (base[:, None] + (idx < rem[:, None])).astype(np.int8)
    if instrument == "qids-sr16":  # domain scores -> 16 items whose domain maxima match
        items = np.zeros((len(totals), 16), dtype=np.int8)
        for d, members in enumerate(QIDS_DOMAINS):
            items[:, members[0]] = values[:, d]
            for m in members[1:]:
                items[:, m] = (rng.random(len(totals)) * (values[:, d] + 1)).astype(np.int8)
        values = items
    flat = pa.array(values.ravel(), type=pa.int8())
    offsets = pa.array(np.arange(0, values.size + 1, values.shape[1], dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, flat)


def _ts(seconds: np.ndarray) -> pa.Array:
    micros = pa.array(seconds.astype("int64") * 1_000_000, type=pa.int64())
    return micros.cast(TS)


def _pre_post(
    rng: np.random.Generator, pre: tuple[float, float], post: tuple[float, float], n: int
) -> np.ndarray:
    """Pre-dose then 40-minute readings: ketamine raises blood pressure transiently."""
    return np.concatenate([rng.normal(*pre, n), rng.normal(*post, n)]).astype(np.int16)


class Writers:
    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.w = {
            n: pq.ParquetWriter(table_path(out, n), s, compression=COMPRESSION)
            for n, s in SCHEMAS.items()
        }

    def write(self, name: str, columns: dict[str, pa.Array | np.ndarray]) -> None:
        self.w[name].write_table(pa.table(columns, schema=SCHEMAS[name]))

    def close(self) -> None:
        for w in self.w.values():
            w.close()


@dataclass
class _Cohort:
    """One chunk's patients as the tables are written, in the order the random draws are
    made (the same seed gives the same registry)."""

    pid: np.ndarray
    clinic: np.ndarray
    cond: np.ndarray
    t0: np.ndarray  # first session, epoch seconds
    dropout: np.ndarray
    n_sess: np.ndarray
    sess_t: np.ndarray  # (n, MAX_SESSIONS) session times
    sess_mask: np.ndarray  # (n, MAX_SESSIONS) sessions that happened


def _chunk(rng: np.random.Generator, first_id: int, n: int, clinics: int, out: Writers) -> None:
    cohort = _patients_and_courses(rng, first_id, n, clinics, out)
    _assessments(rng, cohort, out)


def _patients_and_courses(rng: np.random.Generator, first_id: int, n: int, clinics: int,
                          out: Writers) -> _Cohort:
    pid = np.arange(first_id, first_id + n, dtype=np.int64)
    clinic = rng.integers(1, clinics + 1, size=n).astype(np.int32)
    cond = rng.choice(3, size=n, p=CONDITION_P)
    out.write(
        "patients",
        {
            "patient_id": pid,
            "clinic_id": clinic,
            "birth_year": np.clip(rng.normal(1980, 13, n), 1935, 2006).astype(np.int16),
            "sex": np.array(["F", "M", "X"])[rng.choice(3, size=n, p=[0.6, 0.38, 0.02])],
            "primary_condition": CONDITIONS[cond],
        },
    )
    proto = rng.choice(len(PROTOCOLS), size=n, p=[p[3] for p in PROTOCOLS])
    day0 = EPOCH_START + rng.integers(0, SPAN_S // DAY, size=n) * DAY
    t0 = day0 + rng.integers(13 * HOUR, 22 * HOUR, size=n)  # clinic hours, UTC
    col = lambda i: np.array([p[i] for p in PROTOCOLS])[proto]  # noqa: E731
    out.write(
        "courses",
        {
            "course_id": pid,
            "patient_id": pid,
            "protocol": col(0),
            "route": col(1),
            "started_at": _ts(t0 - rng.integers(1, 14, size=n) * DAY),
        },
    )
    # Sessions: dropout before 6 for DROPOUT_P; completers may add maintenance boosters.
    dropout = rng.random(n) < DROPOUT_P
    n_sess = np.where(dropout, rng.integers(1, 6, size=n), 6 + rng.binomial(4, 0.3, size=n))
    gaps = rng.integers(2, 5, size=(n, MAX_SESSIONS)) * DAY
    gaps += rng.integers(-2, 3, (n, MAX_SESSIONS)) * HOUR
    gaps[:, 0] = 0
    gaps[:, 6:] += rng.integers(14, 35, size=(n, MAX_SESSIONS - 6)) * DAY  # boosters
    sess_t = t0[:, None] + np.cumsum(gaps, axis=1)
    sess_mask = np.arange(MAX_SESSIONS)[None, :] < n_sess[:, None]
    cohort = _Cohort(pid, clinic, cond, t0, dropout, n_sess, sess_t, sess_mask)
    _sessions_and_vitals(rng, cohort, col(1), col(2), col(4).astype(float), out)
    return cohort


def _sessions_and_vitals(rng: np.random.Generator, c: _Cohort, route: np.ndarray,
                         drug: np.ndarray, per_kg: np.ndarray, out: Writers) -> None:
    n = len(c.pid)
    weight = np.clip(rng.normal(80, 16, n), 45, 160)
    dose = np.where(per_kg > 0, per_kg * weight, rng.choice([56.0, 84.0], size=n))
    rows, num = np.nonzero(c.sess_mask)
    st = c.sess_t[rows, num]
    sid = c.pid[rows] * 16 + num
    out.write(
        "sessions",
        {
            "session_id": sid,
            "course_id": c.pid[rows],
            "patient_id": c.pid[rows],
            "number": (num + 1).astype(np.int16),
            "started_at": _ts(st),
            "route": route[rows],
            "drug": drug[rows],
            "dose_mg": np.round(dose[rows], 1),
            "dose_mg_per_kg": np.round(dose[rows] / weight[rows], 3),
        },
    )
    nv = len(rows)
    vt = np.concatenate([st - 10 * 60, st + 40 * 60])
    out.write(
        "vitals",
        {
            "session_id": np.tile(sid, 2),
            "patient_id": np.tile(c.pid[rows], 2),
            "measured_at": _ts(vt),
            "systolic_mmhg": _pre_post(rng, (124, 12), (138, 15), nv),
            "diastolic_mmhg": _pre_post(rng, (78, 8), (86, 10), nv),
            "heart_rate_bpm": rng.normal(76, 10, 2 * nv).astype(np.int16),
            "spo2_pct": np.clip(rng.normal(98, 1, 2 * nv), 88, 100).astype(np.int16),
        },
    )


def _assessments(rng: np.random.Generator, c: _Cohort, out: Writers) -> None:
    at, done, gain = _assessment_slots(rng, c)
    n, n_slots = at.shape
    has = {
        "phq9": np.ones(n, bool),
        "pcl5": c.cond == 1,
        "gad7": c.cond == 2,
        "qids-sr16": (c.cond == 0) & (c.clinic % 4 == 0),
        "madrs": (c.cond == 0) & (c.clinic % 5 == 0),
    }
    for inst, who in has.items():
        spec = SPECS[inst]
        top = 27 if inst == "qids-sr16" else spec.n_items * spec.item_max
        b = np.clip(rng.normal(spec.baseline_mean, spec.baseline_sd, n), 0, top)
        mask = done & who[:, None]
        if inst == "madrs":  # clinician-rated: baseline, 24 h, post-induction only
            mask &= np.isin(np.arange(n_slots), [0, 1, MAX_SESSIONS + 1])[None, :]
        r, s = np.nonzero(mask)
        g = np.minimum(gain[r, s] * spec.effect, 1.0)
        totals = np.clip(np.rint(b[r] * (1 - g) + rng.normal(0, spec.noise_sd, len(r))), 0, top)
        totals = totals.astype(np.int64)
        out.write(
            "assessments",
            {
                "patient_id": c.pid[r],
                "instrument": np.full(len(r), inst, dtype=object),
                "completed_at": _ts(at[r, s]),
                "total": totals.astype(np.int16),
                "items": _items(rng, totals, inst),
            },
        )


def _assessment_slots(rng: np.random.Generator,
                      c: _Cohort) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """When each patient could answer (n x slots), which they answered, and the share of
    their plateau improvement reached by then."""
    n = len(c.pid)
    # Latent response: plateau m (dropouts benefit less), share u reached at 24 h.
    m = np.where(c.dropout, rng.beta(1.4, 2.6, n), rng.beta(1.9, 1.6, n))
    u = rng.beta(3.5, 2.0, n)
    decay_days = rng.lognormal(np.log(120), 0.6, n)
    last_sess = c.sess_t[np.arange(n), c.n_sess - 1]
    induction_end = c.sess_t[np.arange(n), np.minimum(c.n_sess, 6) - 1]
    # Assessment slots: baseline, 24 h, before sessions 2..10, post-induction, 12 weekly.
    base_t = c.t0 - np.where(
        rng.random(n) < 0.06, rng.integers(31, 45, n) * DAY, rng.integers(10 * 60, 7 * DAY, n)
    )
    slots = [
        base_t[:, None],
        (c.t0 + rng.integers(14 * HOUR, 40 * HOUR, n))[:, None],
        c.sess_t[:, 1:] - rng.integers(5 * 60, 2 * HOUR, (n, MAX_SESSIONS - 1)),
        (c.t0 + rng.integers(15 * DAY, 31 * DAY, n))[:, None],
        induction_end[:, None]
        + np.arange(1, 13)[None, :] * 7 * DAY
        + rng.integers(-2 * DAY, 2 * DAY, (n, 12)),
    ]
    at = np.concatenate(slots, axis=1)
    n_slots = at.shape[1]
    p_done = np.concatenate(
        [
            np.full(1, 0.94),
            np.full(1, 0.8),
            np.full(MAX_SESSIONS - 1, 0.85),
            np.full(1, 0.75),
            np.linspace(0.7, 0.4, 12),
        ]
    )
    done = rng.random((n, n_slots)) < p_done[None, :]
    pre_mask = np.concatenate(
        [np.ones((n, 2), bool), c.sess_mask[:, 1:], np.ones((n, 1 + 12), bool)], axis=1
    )
    gone = c.dropout[:, None] & (at > last_sess[:, None] + 7 * DAY)
    done &= pre_mask & ~(gone & (rng.random((n, n_slots)) < 0.8))
    k = (c.sess_t[:, None, :] <= at[:, :, None]).__and__(c.sess_mask[:, None, :]).sum(axis=2)
    gain = np.where(k == 0, 0.0, m[:, None] * (1 - (1 - u[:, None]) * np.exp(-(k - 1) / 1.3)))
    after = np.maximum(0, at - last_sess[:, None] - 7 * DAY) / DAY
    gain *= np.exp(-after / decay_days[:, None])
    return at, done, gain


def synthesise(
    out: Path,
    patients: int,
    clinics: int,
    seed: int,
    chunk: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> None:
    rng = np.random.default_rng(seed)
    writers = Writers(out)
    try:
        for start in range(0, patients, chunk):
            n = min(chunk, patients - start)
            _chunk(rng, start + 1, n, clinics, writers)
            if progress:
                progress(n)
    finally:
        writers.close()
