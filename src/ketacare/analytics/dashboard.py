"""The clinic dashboard: the outcome report on the clinic's own de-identified data (the
same definitions and engine as `ketacare analytics report`), the time-to-response curve,
and the published trials beside it. Aggregates only: no chart of a single patient."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import pyarrow.parquet as pq
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.charts import PALETTE, to_svg, values
from ketacare.interop.research import build_tables

from .benchmarks import BENCHMARKS
from .run import run_report


def clinic_report(staff: Staff) -> dict[str, Any]:
    """The report over the clinic's data, de-identified as the research export but with
    true dates: windows such as "courses started at least N days before the data's end"
    need the real calendar, and only aggregates leave this function."""
    tables = build_tables(staff.clinic, shift_dates=False)
    if tables["sessions"].num_rows == 0:
        return {"rows": [], "data_until": ""}  # no treatment given yet: nothing to report
    with tempfile.TemporaryDirectory() as tmp:
        for name, table in tables.items():
            pq.write_table(table, Path(tmp) / f"{name}.parquet")
        return run_report("duckdb", Path(tmp))


def km_chart(rows: list[dict[str, Any]]) -> str | None:
    points = [
        {
            "day": p["day"],
            "responded": p["cumulative_response"],
            "group": f"{r['instrument']} {r['condition']}",
        }
        for r in rows
        if r["condition"] == "all"
        for p in r["km"]
    ]
    if not points:
        return None
    chart = (
        alt.Chart(values(points))
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X("day:Q", title="days from the first session"),
            y=alt.Y(
                "responded:Q",
                title="responded (Kaplan-Meier)",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("group:N", title=None, scale=alt.Scale(range=PALETTE)),
        )
        .properties(width=560, height=240)
    )
    return to_svg(chart)


@requires(Perm.VIEW_AGGREGATES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    staff: Staff = request.staff  # type: ignore[attr-defined]
    report = clinic_report(staff)
    record(
        Action.VIEW,
        request=request,
        object_type="outcome_dashboard",
        detail={"rows": len(report["rows"])},
    )
    return render(
        request,
        "analytics/dashboard.html",
        {
            "report": report,
            "rows": report["rows"],
            "km": km_chart(report["rows"]),
            "benchmarks": BENCHMARKS,
        },
    )
