"""Benchmark: the full outcome report on DuckDB vs expert pandas and vs Polars.

    .venv/bin/python bench/analytics/report.py                 # 1,000,000 patients
    .venv/bin/python bench/analytics/report.py --patients 2000 --spark-patients 0   # smoke

Synthesises the registry with `ketacare.analytics.synth` (or reuses --data), then runs each
engine in a child process so its peak memory (max RSS) is its own: DuckDB, the expert
pandas baseline and the Polars baseline on the full registry (pandas optionally on a
--pandas-patients sample, its time then scaled linearly and marked as such), and Spark
(local[2]) on a --spark-patients sample. DuckDB, pandas and Polars each run --repeat times
(default 3) in fresh processes, interleaved so the shared machine's load falls on all
alike; the fastest run of each is compared, and every run's time is printed. Before
comparing speed it checks that every engine returns identical counts on the same data.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pandas_baseline import counts_pandas  # noqa: E402
from polars_baseline import counts_polars  # noqa: E402

from ketacare.analytics.report import build_report  # noqa: E402
from ketacare.analytics.run import counts_on  # noqa: E402
from ketacare.analytics.schema import TABLES, table_path  # noqa: E402
from ketacare.analytics.synth import synthesise  # noqa: E402


def _child(kind: str, data: str, queue: Any) -> None:
    # Every engine's library is imported before the clock starts, as pandas and Polars are
    # (this module imports them): Ibis loads its DuckDB backend only on the first connect.
    if kind == "duckdb":
        import ibis.backends.duckdb  # noqa: F401
    start = time.perf_counter()
    if kind == "pandas":
        counts = counts_pandas(Path(data))
    elif kind == "polars":
        counts = counts_polars(Path(data))
    else:
        counts = counts_on(kind, Path(data))
        build_report(counts)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": round(seconds, 3), "peak_rss_mb": round(peak_mb), "counts": counts})


def _once(kind: str, data: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")  # a fresh process: its max RSS is this engine's alone
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(kind, str(data), queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "runs": [r["seconds"] for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def measure(kind: str, data: Path, repeat: int = 1) -> dict[str, Any]:
    """The fastest of `repeat` fresh-process runs (as timeit reports: the other runs only
    add the shared machine's noise), every run's time, and the largest peak RSS."""
    return _best([_once(kind, data) for _ in range(repeat)])


def measure_interleaved(jobs: dict[str, Path], repeat: int) -> dict[str, dict[str, Any]]:
    """`measure` for several engines, their runs taken in turn (round after round)."""
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in jobs}
    for _ in range(repeat):
        for kind, data in jobs.items():
            runs[kind].append(_once(kind, data))
    return {kind: _best(r) for kind, r in runs.items()}


def sample(data: Path, out: Path, patients: int) -> Path:
    """The registry's first `patients` patients (ids 1..patients), every table."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for name in TABLES:
        src, dst = table_path(data, name), table_path(out, name)
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{src}') WHERE patient_id <= {patients}) "  # noqa: S608
            f"TO '{dst}' (FORMAT parquet)"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=1_000_000)
    p.add_argument("--clinics", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--data", type=Path, help="reuse this registry (skip synthesis)")
    p.add_argument("--pandas-patients", type=int, default=0, help="pandas on a sample (0: all)")
    p.add_argument("--spark-patients", type=int, default=100_000, help="0 skips Spark")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of DuckDB, pandas and Polars; the fastest of each is compared")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="kc_bench_"))
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
    data = args.data
    if data is None:
        data = work / "registry"
        start = time.perf_counter()
        synthesise(data, args.patients, args.clinics, args.seed)
        out["synth_seconds"] = round(time.perf_counter() - start, 2)
    rows = {n: pq.read_metadata(table_path(data, n)).num_rows for n in ("patients", "assessments")}
    out["rows"] = rows
    n = rows["patients"]

    pandas_n = args.pandas_patients or n
    pandas_data = data if pandas_n >= n else sample(data, work / "pandas_sample", pandas_n)
    best = measure_interleaved(
        {"duckdb": data, "polars": data, "pandas": pandas_data}, args.repeat
    )
    duck, pol, pan = best["duckdb"], best["polars"], best["pandas"]
    out["duckdb"] = {k: duck[k] for k in ("seconds", "runs", "peak_rss_mb")}
    out["polars"] = {
        **{k: pol[k] for k in ("seconds", "runs", "peak_rss_mb")},
        "same_counts_as_duckdb": pol["counts"] == duck["counts"],
    }
    out["ratio_polars_over_duckdb"] = round(pol["seconds"] / duck["seconds"], 2)
    duck_same = duck if pandas_data == data else measure("duckdb", pandas_data)
    scale = n / pandas_n if pandas_n < n else 1.0
    out["pandas"] = {
        "patients": min(pandas_n, n),
        "seconds": pan["seconds"],
        "runs": pan["runs"],
        "peak_rss_mb": pan["peak_rss_mb"],
        "seconds_scaled_to_full": round(pan["seconds"] * scale, 3),
        "scaled": scale != 1.0,
        "same_counts_as_duckdb": pan["counts"] == duck_same["counts"],
    }
    out["ratio_pandas_over_duckdb"] = round(pan["seconds"] * scale / duck["seconds"], 2)

    if args.spark_patients:
        spark_n = min(args.spark_patients, n)
        spark_data = data if spark_n >= n else sample(data, work / "spark_sample", spark_n)
        spark = measure("spark", spark_data)
        duck_s = duck if spark_data == data else measure("duckdb", spark_data)
        out["spark"] = {
            "patients": spark_n,
            "seconds_incl_session_start": spark["seconds"],
            "peak_rss_mb_driver": spark["peak_rss_mb"],
            "same_counts_as_duckdb": spark["counts"] == duck_s["counts"],
            "duckdb_seconds_same_sample": duck_s["seconds"],
        }
    phq9 = next(
        r
        for r in build_report(duck["counts"])
        if (r["instrument"], r["condition"]) == ("phq9", "all")
    )
    out["phq9_all"] = {
        k: phq9[k]
        for k in (
            "n_clinical_range",
            "rapid_response",
            "post_induction_response",
            "post_induction_remission",
            "median_sessions_to_response",
            "dropout_before_session_6",
        )
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
