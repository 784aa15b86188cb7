"""The outcome report's charts, one definition for the clinic dashboard and the PDF
report: time to first response (Kaplan-Meier) and the retention funnel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ketacare.clinical.instruments import get

from . import PALETTE, values

if TYPE_CHECKING:
    import altair as alt


def step_label(step: dict[str, Any]) -> str:
    """How a funnel step reads on its bar: "12 (80%)", "<5", "<5 lost since session 2"."""
    if step["patients"] is not None:
        return f"{step['patients']} ({step['share']:.0%})"
    if step["hidden"] == "count":
        return f"<{step['fewer_than']}"
    return f"<{step['fewer_than']} lost since session {step['since']}"


def km_chart(rows: list[dict[str, Any]], *, width: int = 560,
             height: int = 240) -> alt.Chart | None:
    """Cumulative share responded by day, one line per instrument (all conditions);
    None when no row has a curve. `rows` are the report's rows (report.build_report)."""
    import altair as alt

    points = [
        {"day": p["day"], "responded": p["cumulative_response"],
         "group": get(r["instrument"]).short_name}
        for r in rows if r["condition"] == "all" for p in r["km"]
    ]
    if not points:
        return None
    return (
        alt.Chart(values(points))
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X("day:Q", title="days from the first session"),
            y=alt.Y("responded:Q", title="responded (Kaplan-Meier)",
                    axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("group:N", title=None, scale=alt.Scale(range=PALETTE)),
        )
        .properties(width=width, height=height)
    )


def funnel_chart(funnel: dict[str, Any], *, width: int = 560,
                 height: int = 220) -> alt.LayerChart | None:
    """Patients whose index course reached session k, as bars labelled with n and the
    share of those who started. `funnel` is one entry of the report's "retention"; a
    suppressed step (suppression.suppress_funnel) has no bar, only its "<k" label."""
    import altair as alt

    if not funnel["started"]:
        return None
    rows = [{"step": f"Session {s['session']}", "patients": s["patients"],
             "at": s["patients"] or 0, "label": step_label(s)} for s in funnel["steps"]]
    scale = alt.Scale(domain=[0, funnel["started"] * 1.15])
    axis = alt.Axis(format="d", tickMinStep=1, tickCount=6)
    title = "patients reaching the session"
    base = alt.Chart(values(rows)).encode(
        y=alt.Y("step:N", sort=[r["step"] for r in rows], title=None))
    bars = base.mark_bar(color=PALETTE[0], opacity=0.85).encode(
        x=alt.X("patients:Q", title=title, scale=scale, axis=axis))
    labels = base.mark_text(align="left", dx=4, fontSize=11, color="#1b2430").encode(
        x=alt.X("at:Q", title=title, scale=scale, axis=axis), text="label:N")
    chart = alt.layer(bars, labels).properties(width=width, height=height)
    return chart  # type: ignore[return-value]  # properties() widens the type
