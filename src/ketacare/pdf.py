"""Helpers every printed document shares (REMS form, ledger report, progress letter):
text for fpdf2's core fonts, a person's printed name, and the height of a chart image."""

from __future__ import annotations

import struct
import unicodedata

from django.contrib.auth.models import User

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
