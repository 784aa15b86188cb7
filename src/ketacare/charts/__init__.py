"""Charts defined once (Altair / Vega-Lite) and rendered on the server by vl-convert, to
SVG for pages and PNG for PDFs: the same picture in both, no JavaScript, no CDN."""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert as vlc

FONT = "DejaVu Sans, sans-serif"
PALETTE = ["#0f5c6e", "#c0392b", "#7b4fa0", "#2e8b57", "#b8860b"]


def themed(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_axis(
        labelFontSize=11, titleFontSize=12, gridColor="#e6eaef"
    ).configure_legend(labelFontSize=11, titleFontSize=11, orient="bottom")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """SVG markup for inline use; Vega escapes every text it draws."""
    svg: str = vlc.vegalite_to_svg(themed(chart).to_json())
    return svg


def to_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """PNG for PDFs: fpdf2 cannot embed vl-convert's SVG (it fails on it, fpdf2 2.8).
    `scale` 2 keeps lines and labels sharp on paper."""
    png: bytes = vlc.vegalite_to_png(themed(chart).to_json(), scale=scale)
    return png


def values(rows: list[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=rows)
