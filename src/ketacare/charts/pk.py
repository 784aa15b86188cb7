"""The concentration-time chart: predicted plasma curves with the concentration-effect
ranges of the clinical reference (s.5) shaded and labelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import PALETTE, values

if TYPE_CHECKING:
    import altair as alt

# Thin the curve for drawing: a point every few minutes is indistinguishable on screen.
MAX_POINTS = 400


def concentration_chart(data: dict[str, Any], *, width: int = 820, height: int = 320,
                        show_metabolite: bool = True) -> alt.LayerChart:
    """`data` is the output of `ketacare.clinical.pk.compare_scenarios`."""
    import altair as alt

    times: list[float] = data["time_min"]
    stride = max(1, len(times) // MAX_POINTS)
    rows: list[dict[str, Any]] = []
    peak = 0.0
    for series in data["series"]:
        outputs = [("parent drug", series["plasma_ng_ml"])]
        if show_metabolite and series.get("metabolite_ng_ml"):
            outputs.append(("metabolite", series["metabolite_ng_ml"]))
        for kind, conc in outputs:
            peak = max(peak, max(conc))
            for i in range(0, len(times), stride):
                rows.append({"time_h": times[i] / 60, "conc": conc[i], "scenario":
                             series["label"], "output": kind})
    ceiling = max(peak * 1.15, 50.0)
    bands = [
        {"label": b["label"], "low": b["low_ng_ml"], "high": min(b["high_ng_ml"], ceiling)}
        for b in data["effect_bands"] if b["low_ng_ml"] < ceiling
    ]
    y = alt.Y("conc:Q", title="plasma concentration (ng/mL)",
              scale=alt.Scale(domain=[0, ceiling], nice=False))
    # Hours at least half an hour apart: every 0.2 h ran the labels into each other at the
    # session page's width.
    x = alt.X("time_h:Q", title="hours from start of dose", axis=alt.Axis(tickMinStep=0.5))
    band_layer = alt.Chart(values(bands)).mark_rect(opacity=0.12, color="#a15c00").encode(
        y=alt.Y("low:Q", scale=alt.Scale(domain=[0, ceiling], nice=False)), y2="high:Q"
    )
    # Labels sit on each range's lower edge: upper edges may be clipped to the same ceiling.
    band_text = alt.Chart(values(bands)).mark_text(
        align="right", baseline="bottom", dx=-4, dy=-2, fontSize=10, color="#7a4500"
    ).encode(y="low:Q", x=alt.value(width), text="label:N")
    lines = alt.Chart(values(rows)).mark_line(strokeWidth=2.2).encode(
        x=x, y=y,
        color=alt.Color("scenario:N", title=None, scale=alt.Scale(range=PALETTE),
                        legend=alt.Legend(labelLimit=320, columns=1)),
        strokeDash=alt.StrokeDash("output:N", title=None, scale=alt.Scale(
            domain=["parent drug", "metabolite"], range=[[1, 0], [6, 4]])),
        detail="output:N",
        tooltip=["scenario:N", "output:N", "time_h:Q", "conc:Q"],
    )
    layers: list[alt.Chart] = [band_layer, band_text, lines]
    racemic_routes = {s["route"] for s in data["series"] if s["analyte"] != "esketamine"}
    shown = [p for p in data["reference_points"] if p["route"] in racemic_routes]
    # Published values beside the model's prediction (a point; a dotted rule where only the
    # time of the peak is published).
    points = [{"time_h": p["time_min"] / 60, "conc": p["conc_ng_ml"], "label": p["label"]}
              for p in shown if p["conc_ng_ml"] is not None]
    # Peak-time labels are stacked (pixels from the top) so close times do not overlap.
    peaks = [{"time_h": p["time_min"] / 60, "label": p["label"], "y_px": 2 + 13 * i}
             for i, p in enumerate(q for q in shown if q["conc_ng_ml"] is None)]
    if points:
        marks = alt.Chart(values(points))
        layers.append(marks.mark_point(shape="diamond", size=90, filled=True,
                                       color="#1b2430").encode(x="time_h:Q", y="conc:Q"))
        layers.append(marks.mark_text(align="left", dx=8, fontSize=10, color="#1b2430")
                      .encode(x="time_h:Q", y="conc:Q", text="label:N"))
    if peaks:
        rules = alt.Chart(values(peaks))
        layers.append(rules.mark_rule(strokeDash=[2, 3], color="#1b2430").encode(x="time_h:Q"))
        layers.append(rules.mark_text(align="left", baseline="top", dx=4, fontSize=10,
                                      color="#1b2430").encode(
            x="time_h:Q", y=alt.Y("y_px:Q", scale=None), text="label:N"))
    chart = alt.layer(*layers).properties(width=width, height=height)
    return chart  # type: ignore[return-value]  # properties() widens the type
