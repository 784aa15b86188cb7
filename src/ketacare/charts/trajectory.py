"""A patient's scores on one instrument over time, over the instrument's severity bands,
with treatment sessions marked. One definition for the clinician's page, the patient's
own progress page and printed letters."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from ketacare.clinical.instruments import Instrument

from . import values

if TYPE_CHECKING:
    import altair as alt

# Band colours by tone, the same meaning as the page's severity chips.
TONE_COLOURS = {"ok": "#e3f4ea", "low": "#f1f6d9", "mid": "#fff0d6", "high": "#fde4da",
                "critical": "#fbe0e5"}


class AlertMark(NamedTuple):
    """A response that raised an alert: drawn as a red ring round its point."""

    when: datetime
    total: int
    label: str


def trajectory_chart(instrument: Instrument, points: list[tuple[datetime, int]], *,
                     sessions: list[tuple[datetime, str]] | None = None,
                     alerts: list[AlertMark] | None = None,
                     zone: tzinfo = UTC, width: int = 640, height: int = 240,
                     plain_language: bool = False) -> alt.LayerChart:
    """`points`: (time, total) in time order; `sessions`: (time, label) to mark with a
    rule; `alerts`: responses that raised an alert, ringed in red. `plain_language` titles
    the bands for a patient ("Mild", not "mild 5-9"). Times are drawn as wall-clock time in
    `zone` (the clinic's), whatever zone the renderer runs in."""
    import altair as alt


    def wall(moment: datetime) -> str:
        return moment.astimezone(zone).replace(tzinfo=UTC).isoformat()

    when = alt.X("when:T", title=None, scale=alt.Scale(type="utc"),
                 axis=alt.Axis(format="%b %d", tickCount=8, labelOverlap=True))
    rows = [{"when": wall(t), "total": total} for t, total in points]
    bands = [{"low": b.low, "high": b.high + (1 if b.high < instrument.max_total else 0),
              "label": b.title if plain_language else f"{b.title} {b.low}-{b.high}",
              "colour": TONE_COLOURS[b.tone]} for b in instrument.bands]
    y_scale = alt.Scale(domain=[instrument.min_total, instrument.max_total], nice=False)
    layers: list[alt.Chart] = []
    if bands:
        band_data = alt.Chart(values(bands))
        layers.append(band_data.mark_rect().encode(
            y=alt.Y("low:Q", scale=y_scale, title=f"{instrument.short_name} total"),
            y2="high:Q", color=alt.Color("colour:N", scale=None)))
        # Labelled outside the plot, on the right: inside, sessions and points cover them.
        layers.append(band_data.mark_text(align="left", baseline="bottom", dx=6, dy=-2,
                                          fontSize=10, color="#5b6776")
                      .encode(y="low:Q", x=alt.value(width), text="label:N"))
    if sessions:
        marks = alt.Chart(values([{"when": wall(t), "label": label}
                                  for t, label in sessions]))
        layers.append(marks.mark_rule(color="#0f5c6e", strokeDash=[3, 3], opacity=0.6)
                      .encode(x=when))
        layers.append(marks.mark_text(angle=270, align="left", baseline="bottom", dy=-2,
                                      fontSize=9, color="#0f5c6e")
                      .encode(x=when, y=alt.value(height - 4), text="label:N"))
    line = alt.Chart(values(rows)).encode(
        x=when, y=alt.Y("total:Q", scale=y_scale,
                                                title=f"{instrument.short_name} total"))
    layers.append(line.mark_line(color="#1b2430", strokeWidth=2))
    layers.append(line.mark_point(filled=True, size=60, color="#1b2430"))
    layers.append(line.mark_text(dy=-10, fontSize=11, fontWeight="bold", color="#1b2430")
                  .encode(text="total:Q"))
    if alerts:
        ringed = alt.Chart(values([{"when": wall(a.when), "total": a.total}
                                   for a in alerts]))
        layers.append(ringed.mark_point(shape="circle", size=260, strokeWidth=2.5,
                                        color="#c0392b", filled=False)
                      .encode(x=when, y=alt.Y("total:Q", scale=y_scale)))
    chart = alt.layer(*layers).properties(width=width, height=height)
    return chart  # type: ignore[return-value]  # properties() widens the type


def points_from(responses: list[Any]) -> list[tuple[datetime, int]]:
    """(submitted time, total) of scored responses, oldest first."""
    return sorted((r.submitted_at, r.total) for r in responses if r.total is not None)
