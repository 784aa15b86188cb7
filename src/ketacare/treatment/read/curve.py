"""The predicted plasma curve of one dose, drawn for a page."""

from __future__ import annotations

from ketacare.charts import remembered, svg
from ketacare.charts.pk import concentration_chart
from ketacare.clinical.session_day import dose_scenario


def predicted_curve(route: str, dose_mg: float, *, weight_kg: float | None, age: int,
                    infusion_min: int | None, label: str) -> str | None:
    """SVG of the predicted plasma curve for one dose, or None when it cannot be drawn
    (e.g. no weight for a weight-scaled model). Kept in the chart cache by these inputs:
    the session-day page is reloaded all through a session, and simulating the dose and
    keying the picture by its 240 points cost a millisecond of each load."""
    drawn: str | None = remembered(
        ["curve", route, dose_mg, weight_kg, age, infusion_min, label],
        lambda: _draw(route, dose_mg, weight_kg=weight_kg, age=age, infusion_min=infusion_min,
                      label=label))
    return drawn


def _draw(route: str, dose_mg: float, *, weight_kg: float | None, age: int,
          infusion_min: int | None, label: str) -> str | None:
    # numpy/scipy on the first curve drawn, not when the pages' modules are imported.
    from ketacare.clinical import pk

    scenario = dose_scenario(route, dose_mg, weight_kg=weight_kg, age_years=age,
                             infusion_min=infusion_min, label=label)
    try:
        data = pk.compare_scenarios([scenario], until_min=240)
    except pk.PKInputError:
        return None
    return svg(concentration_chart, data, width=560, height=220)
