"""The clinic dashboard: the outcome report on the clinic's own de-identified data (the
same definitions and engine as `ketacare analytics report`), the time-to-response curve,
and the published trials beside it. Aggregates only: no chart of a single patient."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.charts import svg
from ketacare.charts.outcomes import funnel_chart, km_chart

from .filters import OutcomeFilters, min_patients
from .published import BENCHMARKS
from .suppression import suppress_report


def _empty() -> dict[str, Any]:
    return {"rows": [], "retention": [], "data_until": "", "suppressed": None}


def clinic_report(staff: Staff, courses: Q | None = None) -> dict[str, Any]:
    """The report over the clinic's data (or the courses matching `courses`), de-identified
    as the research export but with true dates: windows such as "courses started at least
    N days before the data's end" need the real calendar, and only aggregates leave this
    function. A filtered view matching fewer than the clinic's threshold of treated patients
    reports nothing but that count (`suppressed`); every other small count is "fewer than"
    the threshold (suppression.py)."""
    # Here, not at the top: pyarrow, Ibis, DuckDB and pandas are loaded by the dashboard's
    # first report, not by every page and command that imports the URL configuration.
    from .registry import build_tables
    from .run import run_report
    from .schema import write_table

    tables = build_tables(staff.clinic, courses=courses)
    treated = len(set(tables["sessions"].column("patient_id").to_pylist()))
    k_min = min_patients(staff.clinic)
    if courses is not None and treated < k_min:
        return {**_empty(), "suppressed": treated}
    if treated == 0:
        return _empty()  # no treatment given yet: nothing to report
    with tempfile.TemporaryDirectory() as tmp:
        for name, table in tables.items():
            write_table(table, Path(tmp) / f"{name}.parquet")
        now_s = int(timezone.now().timestamp())  # live data: it ends now, not at the last dose
        report = run_report("duckdb", Path(tmp), as_of_s=now_s)
    # In the clinic's zone, as every time on its pages: the page shows this instant's date,
    # which in UTC is tomorrow's every evening west of Greenwich (the PDF prints it in UTC).
    until = datetime.fromisoformat(report["data_until"]).astimezone(staff.clinic.zone)
    report["data_until"] = until.isoformat()
    return {**suppress_report(report, k_min), "suppressed": None}


def _filtered(request: HttpRequest, object_type: str,
              action: Action = Action.VIEW) -> tuple[OutcomeFilters, dict[str, Any], int]:
    """The filters from the query string, the report they select (status 400 and no report
    for invalid filters) and the audit entry of this view or export."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    filters = OutcomeFilters(staff.clinic, request.GET or None)
    if filters.is_bound and not filters.is_valid():
        report, status = _empty(), 400
    else:
        report, status = clinic_report(staff, filters.courses()), 200
    record(action, request=request, object_type=object_type,
           detail={"rows": len(report["rows"]), "filters": filters.audit_detail()})
    return filters, report, status


def _page(request: HttpRequest, filters: OutcomeFilters, report: dict[str, Any],
          status: int) -> HttpResponse:
    return render(
        request,
        "analytics/dashboard.html",
        {
            "report": report,
            "rows": report["rows"],
            "km": svg(km_chart, report["rows"]),
            "funnel": next((svg(funnel_chart, f) for f in report["retention"]
                            if f["condition"] == "all"), None),
            "benchmarks": BENCHMARKS,
            "filters": filters,
            "min_patients": min_patients(request.staff.clinic),  # type: ignore[attr-defined]
            "query": request.GET.urlencode(),
        },
        status=status,
    )


@requires(Perm.VIEW_AGGREGATES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return _page(request, *_filtered(request, "outcome_dashboard"))


@requires(Perm.VIEW_AGGREGATES)
@require_GET
def dashboard_pdf(request: HttpRequest) -> HttpResponse:
    """The same report, with the same filters, as the PDF `ketacare analytics report
    --format pdf` writes. Nothing to print (invalid filters, a suppressed small group, no
    treated patients) gives the page back with the reason instead."""
    filters, report, status = _filtered(request, "outcome_report_pdf", Action.EXPORT)
    if status != 200 or not report["rows"]:
        return _page(request, filters, report, 400)
    staff: Staff = request.staff  # type: ignore[attr-defined]
    title = f"{staff.clinic.name}: outcomes"
    if filters.active:
        title += " (filtered: " + ", ".join(filters.describe()) + ")"
    from .report_pdf import report_pdf  # fpdf2 loaded for a PDF only

    response = HttpResponse(report_pdf(report, title=title), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{staff.clinic.today():%Y-%m-%d}.pdf"')
    return response
