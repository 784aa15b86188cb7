"""Every chart definition is valid Vega-Lite (pages and PDFs render them unvalidated), and
a picture is drawn once per input: the second request for the same data is served from the
cache without building or rendering the chart again; new data draws a new picture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vl_convert

from ketacare import charts
from ketacare.charts.outcomes import funnel_chart, km_chart
from ketacare.charts.pk import concentration_chart
from ketacare.charts.trajectory import AlertMark, trajectory_chart
from ketacare.clinical import pk
from ketacare.clinical.instruments import get

T0 = datetime(2026, 3, 1, 14, tzinfo=UTC)
POINTS = [(T0 + timedelta(days=7 * i), total) for i, total in enumerate([19, 15, 11, 8])]
ROWS = [{"condition": "all", "instrument": "phq9",
         "km": [{"day": 0, "cumulative_response": 0.0}, {"day": 14, "cumulative_response": 0.4}]}]
FUNNEL = {"started": 12, "steps": [
    {"session": 1, "patients": 12, "share": 1.0},
    {"session": 2, "patients": None, "hidden": "count", "fewer_than": 5}]}


def _curve() -> dict[str, Any]:
    return pk.compare_scenarios([pk.Scenario(model="domino", route="iv", dose_mg=35,
                                             weight_kg=70, age_y=40, label="0.5 mg/kg")],
                                until_min=240)


@pytest.mark.parametrize("build", [
    lambda: concentration_chart(_curve()),
    lambda: trajectory_chart(get("phq9"), POINTS, sessions=[(T0, "S1 35 mg")],
                             alerts=[AlertMark(T0, 19, "item 9")],
                             zone=ZoneInfo("America/New_York")),
    lambda: km_chart(ROWS),
    lambda: funnel_chart(FUNNEL),
], ids=["concentration", "trajectory", "km", "funnel"])
def test_every_chart_definition_is_valid_vega_lite(build: Any) -> None:
    charts.spec(build(), validate=True)  # raises on a spec Vega-Lite's schema refuses


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts vl-convert's renders (the real renderer still draws)."""
    calls: list[str] = []
    real_svg, real_png = vl_convert.vegalite_to_svg, vl_convert.vegalite_to_png

    def svg(spec: Any, *args: Any, **kwargs: Any) -> str:
        calls.append("svg")
        return real_svg(spec, *args, **kwargs)

    def png(spec: Any, *args: Any, **kwargs: Any) -> bytes:
        calls.append("png")
        return real_png(spec, *args, **kwargs)

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", svg)
    monkeypatch.setattr(vl_convert, "vegalite_to_png", png)
    return calls


def test_the_same_data_is_drawn_once(renders: list[str]) -> None:
    instrument = get("phq9")
    first = charts.svg(trajectory_chart, instrument, POINTS, zone=UTC)
    again = charts.svg(trajectory_chart, instrument, POINTS, zone=UTC)
    assert first is not None and first.startswith("<svg")
    assert again == first
    assert renders == ["svg"]
    # New data, another size or another zone: another picture.
    newer = charts.svg(trajectory_chart, instrument, [*POINTS, (T0 + timedelta(days=30), 5)],
                       zone=UTC)
    charts.svg(trajectory_chart, instrument, POINTS, zone=UTC, width=320)
    charts.svg(trajectory_chart, instrument, POINTS, zone=ZoneInfo("Europe/Paris"))
    assert newer != first
    assert renders == ["svg"] * 4


def test_png_is_cached_apart_from_svg(renders: list[str]) -> None:
    image = charts.png(km_chart, ROWS)
    assert image is not None and image.startswith(b"\x89PNG")
    assert charts.png(km_chart, ROWS) == image
    assert charts.png(km_chart, ROWS, scale=1) != image
    assert charts.svg(km_chart, ROWS) is not None
    assert renders == ["png", "png", "svg"]


def test_nothing_to_draw_is_none_and_cached(renders: list[str]) -> None:
    assert charts.svg(km_chart, []) is None
    assert charts.svg(funnel_chart, {"started": 0, "steps": []}) is None
    assert renders == []


def test_an_argument_that_is_not_data_cannot_key_the_cache() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match="Opaque"):
        charts.svg(km_chart, Opaque())


def test_the_session_curves_hour_labels_do_not_run_into_each_other() -> None:
    """At the session page's 560 px the time axis had a label every 0.2 h, 28 px apart:
    at 1024 px in Chromium "0.0" ran into "0.2" and "3.8" into "4.0"."""
    import re

    from ketacare.treatment.read.curve import _draw

    drawn = _draw("iv", 32.0, weight_kg=64.4, age=53, infusion_min=40, label="given 32 mg")
    assert drawn is not None
    groups = re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', drawn)
    places = [re.findall(r"translate\(([\d.]+),([\d.]+)\)", g) for g in groups]
    # The x axis's labels share one baseline (the y axis's share one x).
    xs = [[float(x) for x, _ in p] for p in places if len({y for _, y in p}) == 1]
    assert len(xs) == 1, groups
    gaps = [b - a for a, b in zip(xs[0], xs[0][1:], strict=False)]
    assert len(xs[0]) >= 4 and min(gaps) >= 50, xs[0]
