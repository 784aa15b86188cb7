"""Small-group suppression cannot be beaten by differencing: the period filter is whole
calendar months, and a count (or a denominator's rest) below the clinic's threshold is
"fewer than k" with no rate. The issue's example: rapid response 0/8 up to 5 October and
1/9 up to 12 October revealed one patient's result."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketacare.accounts.staff import staff_for
from ketacare.analytics.filters import OutcomeFilters
from ketacare.analytics.suppression import rate_words, suppress_rate
from ketacare.charts.outcomes import funnel_chart, km_chart
from ketacare.treatment.models import Dose
from tests.pdf import pdf_text

from .test_dashboard import _response
from .test_dashboard_filters import PHQ9_BASELINE, PHQ9_NOT, PHQ9_RESPONDED, _cell, _treated

pytestmark = pytest.mark.django_db


def _shown(k: int, n: int, k_min: int = 5) -> str:
    rate = suppress_rate({"k": k, "n": n, "rate": k / n, "ci95_low": 0.0, "ci95_high": 1.0},
                         k_min)
    return rate_words(rate) if rate.get("fewer_than") else f"{rate['k']}/{rate['n']}"


def test_the_issues_two_cells_no_longer_differ_in_their_numerator() -> None:
    before, after = _shown(0, 8), _shown(1, 9)
    assert (before, after) == ("fewer than 5 of 8", "fewer than 5 of 9")
    assert _shown(8, 9) == "all but fewer than 5 of 9"  # the rest is small: hidden too
    assert _shown(2, 3) == "fewer than 5 assessed"
    assert _shown(5, 10) == "5/10"
    assert _shown(1, 9, k_min=2) == "fewer than 2 of 9"


def test_period_filters_snap_to_whole_months(clinic_a) -> None:
    form = OutcomeFilters(clinic_a, {"started_from": "2026-10-05", "started_to": "2026-10-12"})
    assert form.is_valid()
    assert form.cleaned_data["started_from"] == date(2026, 10, 1)
    assert form.cleaned_data["started_to"] == date(2026, 10, 31)
    assert form.data["started_to"] == "2026-10-31"  # the form shows the month it used
    leap = OutcomeFilters(clinic_a, {"started_to": "2028-02-03"})
    assert leap.is_valid() and leap.cleaned_data["started_to"] == date(2028, 2, 29)


def test_differencing_two_periods_a_week_apart_reveals_nothing(
        client, clinic_a, prescriber_a, analyst_a) -> None:
    """Eight patients who did not respond start on the 3rd of a month, one who did on the
    10th: "up to the 5th" and "up to the 12th" are the same month, so the same view."""
    staff = staff_for(prescriber_a, clinic_a)
    month = (clinic_a.today() - timedelta(days=62)).replace(day=1)
    _treated(staff, 8, "depression", "iv-induction", month.replace(day=3), "phq9",
             PHQ9_BASELINE, PHQ9_NOT)
    _treated(staff, 1, "depression", "iv-induction", month.replace(day=10), "phq9",
             PHQ9_BASELINE, PHQ9_RESPONDED)
    client.force_login(analyst_a)
    early = client.get(f"/outcomes/?started_to={month.replace(day=5)}").content.decode()
    late = client.get(f"/outcomes/?started_to={month.replace(day=12)}").content.decode()
    assert _cell(early, "phq9") == _cell(late, "phq9")
    assert "fewer than 5 of 9" in _cell(late, "phq9") and "%" not in _cell(late, "phq9")
    assert "1/9" not in late and "0/8" not in early


def test_a_clinic_with_a_lower_threshold_sees_the_figures(client, clinic_a, prescriber_a,
                                                          analyst_a) -> None:
    clinic_a.settings = {"analytics_min_patients": 2}
    clinic_a.save()
    staff = staff_for(prescriber_a, clinic_a)
    start = clinic_a.today() - timedelta(days=40)
    _treated(staff, 4, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE,
             PHQ9_RESPONDED)
    _treated(staff, 2, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE, PHQ9_NOT)
    client.force_login(analyst_a)
    cell = _cell(client.get("/outcomes/").content.decode(), "phq9")
    assert "4/6" in cell and "67%" in cell


@pytest.fixture
def small_tail(clinic_a, prescriber_a):  # type: ignore[no-untyped-def]
    """15 patients: 13 reach session 6 and 2 stop after session 4 (a drop of 2); 8 respond
    on day 20 and one more, alone at risk, on day 30 (a tail of 1 at risk)."""
    staff = staff_for(prescriber_a, clinic_a)
    start = clinic_a.today() - timedelta(days=40)
    _treated(staff, 8, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE,
             PHQ9_RESPONDED)
    late = _treated(staff, 5, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE,
                    PHQ9_NOT)
    short = _treated(staff, 2, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE,
                     PHQ9_NOT)
    for course in short:  # test data: these two stopped after their fourth session
        Dose.objects.filter(session__course=course, session__number__gt=4).delete()
    first = Dose.objects.filter(session__course=late[0]).order_by("started_at").first()
    assert first is not None
    _response(late[0].patient, PHQ9_RESPONDED, first.started_at + timedelta(days=30))


def _funnel_values(report: dict) -> list[dict]:  # type: ignore[type-arg]
    entry = next(f for f in report["retention"] if f["condition"] == "all")
    chart = funnel_chart(entry)
    assert chart is not None
    spec = chart.to_dict()
    return [v for part in (spec, *spec.get("layer", ())) for v in
            part.get("data", {}).get("values", [])]


def test_funnel_and_km_show_no_small_count_on_the_page(client, small_tail, analyst_a,
                                                       clinic_a, prescriber_a) -> None:
    client.force_login(analyst_a)
    response = client.get("/outcomes/")
    body = response.content.decode()
    report = response.context["report"]
    # The funnel: 15 started, 13 reached session 6 (2 lost, below 5): no step but the first
    # is exact, and no two shown counts differ by fewer than 5.
    shown = [v["patients"] for v in _funnel_values(report) if v["patients"] is not None]
    assert shown and all(n >= 5 for n in shown)
    assert all(abs(a - b) >= 5 for i, a in enumerate(shown) for b in shown[i + 1:])
    assert "15 (100%)" in body and "13 (87%)" not in body and "0 (0%)" not in body
    assert "&lt;5 lost since session 1" in body
    assert "fewer than 5 were lost" in body
    # KM: the day-30 step had one patient at risk; it is not drawn, and the page says why.
    chart = km_chart(report["rows"])
    assert chart is not None
    drawn = chart.to_dict()["data"]["values"]
    assert drawn and all(v["day"] < 30 for v in drawn)
    assert max(v["responded"] for v in drawn) < 1
    assert "fewer than 5 patients at risk" in body
    pdf = client.get("/outcomes/report.pdf")
    assert pdf.status_code == 200
    text = " ".join(pdf_text(pdf.content).split())
    assert "fewer than 5 patients at risk" in text and "fewer than 5 were lost" in text
    assert "13 (87%)" not in text


def test_km_is_withheld_when_fewer_than_k_are_at_risk(client, clinic_a, prescriber_a,
                                                      analyst_a) -> None:
    """An unfiltered clinic of 4 treated patients: its curve would show each of them."""
    staff = staff_for(prescriber_a, clinic_a)
    _treated(staff, 4, "depression", "iv-induction", clinic_a.today() - timedelta(days=40),
             "phq9", PHQ9_BASELINE, PHQ9_RESPONDED)
    client.force_login(analyst_a)
    response = client.get("/outcomes/")
    body = response.content.decode()
    assert km_chart(response.context["report"]["rows"]) is None
    assert 'aria-label="Retention funnel' not in body
    assert "Withheld: fewer than 5 patients" in body
