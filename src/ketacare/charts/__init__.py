"""Charts defined once (Altair / Vega-Lite) and rendered on the server by vl-convert, to
SVG for pages and PNG for PDFs: the same picture in both, no JavaScript, no CDN.

Building an Altair chart and rendering it costs 100-700 ms, so each picture is drawn once
per input: `svg(draw, *args)` and `png(draw, *args)` key the "charts" cache (settings:
in-process memory, never on disk, since the pictures show patient data) by the drawing
function and a hash of its arguments, which are the chart's data: new data is a new key,
so a cached picture is never stale. On a miss the spec is built without Altair's schema
validation (70-150 ms a chart); tests/charts validates every chart definition instead.
Altair and vl-convert are imported on first use, so commands and pages without a chart
do not load them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import caches

from ketacare.clinical.instruments import Instrument

if TYPE_CHECKING:
    import altair as alt

FONT = "DejaVu Sans, sans-serif"
PALETTE = ["#0f5c6e", "#c0392b", "#7b4fa0", "#2e8b57", "#b8860b"]
CACHE = "charts"

Draw = Callable[..., "alt.TopLevelMixin | None"]


def themed(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_axis(
        labelFontSize=11, titleFontSize=12, gridColor="#e6eaef"
    ).configure_legend(labelFontSize=11, titleFontSize=11, orient="bottom")


def spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict[str, Any]:
    """The themed Vega-Lite spec; unvalidated unless asked (see the module's note)."""
    vega_lite: dict[str, Any] = themed(chart).to_dict(validate=validate)
    return vega_lite


def _plain(value: Any) -> Any:
    """How a chart's argument enters its cache key: data only. Anything else is refused,
    so an object whose text would not change with its content can never alias a key."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tzinfo):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Instrument):  # shipped with the code: its id names it
        return f"instrument:{value.id}"
    raise TypeError(f"chart argument of type {type(value).__name__} cannot key the cache")


def remembered(inputs: list[Any], make: Callable[[], Any]) -> Any:
    """What `make()` gives, kept in the chart cache by `inputs` (data only, see `_plain`):
    made once per worker while the cache keeps it; None when `make` gives None."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=_plain)
    key = f"chart:{hashlib.sha256(text.encode()).hexdigest()}"
    cache = caches[CACHE]
    picture = cache.get(key)
    if picture is None:
        picture = make() or ""
        cache.set(key, picture)
    return picture or None


def _picture(kind: str, draw: Draw, args: tuple[Any, ...], kwargs: dict[str, Any],
             render: Callable[[dict[str, Any]], Any]) -> Any:
    def make() -> Any:
        chart = draw(*args, **kwargs)
        return None if chart is None else render(spec(chart))

    return remembered([kind, f"{draw.__module__}.{draw.__qualname__}", args, kwargs], make)


def svg(draw: Draw, /, *args: Any, **kwargs: Any) -> str | None:
    """SVG markup of `draw(*args, **kwargs)` for inline use (Vega escapes every text it
    draws); None when `draw` returns None (nothing to draw)."""
    import vl_convert as vlc

    markup: str | None = _picture("svg", draw, args, kwargs, vlc.vegalite_to_svg)
    return markup


def png(draw: Draw, /, *args: Any, scale: float = 2, **kwargs: Any) -> bytes | None:
    """PNG of `draw(*args, **kwargs)` for PDFs: fpdf2 cannot embed vl-convert's SVG (it
    fails on it, fpdf2 2.8). `scale` 2 keeps lines and labels sharp on paper."""
    import vl_convert as vlc

    def render(vega_lite: dict[str, Any]) -> bytes:
        return bytes(vlc.vegalite_to_png(vega_lite, scale=scale))

    image: bytes | None = _picture(f"png@{scale}", draw, args, kwargs, render)
    return image


def values(rows: list[dict[str, Any]]) -> alt.Data:
    import altair as alt

    return alt.Data(values=rows)
