"""Helpers every printed document shares (REMS form, ledger report, progress letter,
outcome report): text for fpdf2's core fonts, a person's printed name, the height of a
chart image, and a table with a repeated heading row."""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User

if TYPE_CHECKING:  # fpdf2 is imported where a PDF is drawn, not by every page's import
    from fpdf import FPDF
    from fpdf.fonts import FontFace

HEAD_FILL = (225, 232, 238)  # the heading rows' fill, in every document

# Typography that has a plain Latin-1 spelling.
_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                        "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2265": ">=",
                        "\u2264": "<=", "\u00a0": " "})


def latin1(text: str) -> str:
    """The PDF core fonts are Latin-1. A letter outside it loses its accent where it has
    one ("Dvořák" prints "Dvorák"), else prints as '?': never fails."""
    out = []
    for char in text.translate(_PLAIN):
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode(
                "latin-1")
            char = "".join(c for c in base if not unicodedata.combining(c)) or "?"
        out.append(char)
    return "".join(out)


def person(user: User | None) -> str:
    """How a member of staff is named on paper: full name, else the username."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def image_height(png: bytes, width: float) -> float:
    """The height of a PNG drawn `width` wide (same unit), from its IHDR chunk, so a layout
    can keep a chart with its heading before drawing it."""
    width_px, height_px = struct.unpack(">II", png[16:24])
    return float(width * height_px / width_px)


def table(pdf: FPDF, rows: Sequence[Sequence[str]], widths: Sequence[float], *,
          size: float = 8.5, styles: Sequence[FontFace | None] = (),
          center_heading: bool = False, **options: Any) -> None:
    """`rows[0]` is the heading row: bold on HEAD_FILL, repeated on every page. Each cell is
    printed in Latin-1; `styles[n]` styles row n. `options` go to fpdf2's `table` (width,
    align, text_align, line_height, padding, borders_layout)."""
    from fpdf.fonts import FontFace

    pdf.set_font("Helvetica", "", size)
    pdf.set_fill_color(255, 255, 255)  # body rows on white, whatever fill was set before
    with pdf.table(col_widths=tuple(widths), repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
                   **options) as grid:
        for n, values in enumerate(rows):
            row = grid.row(style=styles[n] if n < len(styles) else None)
            for value in values:
                row.cell(latin1(value), align="CENTER" if n == 0 and center_heading else None)
