"""The shape every instrument shares: items, bands, flags, and a scoring result.

An instrument is data (an `Instrument`) plus a small scoring function. Modules in this
package each define one `INSTRUMENT`; the registry in `__init__` discovers them, so
adding an instrument never touches another one.

Values arrive as strings (CLI, forms) or ints (API, tests); `Instrument.validate` turns
them into ints or raises `InstrumentInputError` naming the instrument, the item and the
allowed values. Scoring functions may assume validated input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Rater = Literal["self", "clinician", "clinician_or_self"]
# Tones drive the colour of a severity band in the UI; they carry no clinical meaning.
Tone = Literal["ok", "low", "mid", "high", "critical"]


class InstrumentInputError(ValueError):
    """Bad answers for an instrument. `str()` is one line a user can act on."""

    def __init__(self, instrument: str, message: str, item: int | None = None) -> None:
        self.instrument = instrument
        self.item = item
        where = f"{instrument} item {item}" if item is not None else instrument
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    loinc_answer: str | None = None
    # A word accepted for this option where values are typed (CLI, imports), e.g. the ASQ's
    # "declined"; the value stays the stored code.
    word: str | None = None

    @property
    def typed(self) -> str:
        """How the option is written in messages and on the command line."""
        return self.word or str(self.value)


@dataclass(frozen=True)
class Item:
    number: int
    label: str
    options: tuple[Option, ...]
    # Full wording, only where the license lets us bundle it (see Instrument.full_text_bundled).
    text: str | None = None
    loinc: str | None = None
    # Recorded but never summed (PHQ-9 item 10 "difficulty").
    scored: bool = True
    # Asked only in some cases (PHQ-9 item 10; ASQ item 5); see the instrument's count rule.
    optional: bool = False

    @property
    def min(self) -> int:
        return min(o.value for o in self.options)

    @property
    def max(self) -> int:
        return max(o.value for o in self.options)

    @property
    def allowed(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    @property
    def allowed_text(self) -> str:
        return ", ".join(o.typed for o in self.options)

    def parse(self, raw: int | str) -> int | None:
        """The option value `raw` names (a number or an option's word); None if neither."""
        text = str(raw).strip().lower()
        named = next((o.value for o in self.options if o.word and o.word == text), None)
        if named is not None:
            return named
        try:
            return int(text)
        except ValueError:
            return None

    def option_label(self, value: int) -> str:
        return next(o.label for o in self.options if o.value == value)


@dataclass(frozen=True)
class Band:
    label: str  # snake_case, as in the clinical reference
    low: int
    high: int
    tone: Tone

    @property
    def title(self) -> str:
        return self.label.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Flag:
    """A finding that needs a person's attention regardless of the total."""

    code: str  # stable snake_case identifier, e.g. "suicidal_ideation"
    message: str  # what a clinician should do, shown in the UI
    tone: Tone = "critical"


@dataclass(frozen=True)
class Remission:
    """Remission when total <= max_total (and, if set, the drop from baseline >= min_drop)."""

    max_total: int
    min_drop: int | None = None
    source: str = ""


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    total: int | None
    min: int | None  # None with the total, for screens (ASQ)
    max: int | None
    band: Band | None
    flags: tuple[Flag, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)
    # The ASQ has no total; its result is a category held here instead of a band.
    category: str | None = None

    @property
    def severity(self) -> str | None:
        if self.category is not None:
            return self.category
        return self.band.label if self.band else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "total": self.total,
            "min": self.min,
            "max": self.max,
            "severity": self.severity,
            "flags": [f.code for f in self.flags],
        }
        out.update(self.extras)
        return out


Scorer = Callable[["Instrument", tuple[int, ...]], ScoreResult]


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    short_name: str
    rater: Rater
    items: tuple[Item, ...]
    recall_period: str | None
    license: str
    full_text_bundled: bool
    source: str
    scorer: Scorer
    bands: tuple[Band, ...] = ()
    loinc_panel: str | None = None
    loinc_total: str | None = None
    remission: Remission | None = None
    # Lowest baseline total counted "in clinical range" for outcome rates (reference s.2).
    clinical_range_min: int | None = None
    # Facts a clinician should know are unconfirmed (shown in UI and `ketacare instruments`).
    check_notes: tuple[str, ...] = ()
    instructions: str = ""
    # Set where the total is not the sum of item ranges (QIDS-SR16 sums 9 domain maxima).
    total_range: tuple[int, int] | None = None
    # False for screens whose result is a category, not a sum (ASQ).
    has_total: bool = True
    # Rules across items (which optional items may or must be answered); raises
    # InstrumentInputError. Runs after each value is checked on its own.
    cross_check: Callable[[Instrument, tuple[int, ...]], None] | None = None

    @property
    def rater_label(self) -> str:
        return {"self": "Self-report", "clinician": "Clinician-rated"}.get(
            self.rater, "Clinician or self"
        )

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)

    @property
    def required_count(self) -> int:
        return sum(1 for i in self.items if not i.optional)

    @property
    def min_total(self) -> int:
        if self.total_range is not None:
            return self.total_range[0]
        return sum(i.min for i in self.scored_items)

    @property
    def max_total(self) -> int:
        if self.total_range is not None:
            return self.total_range[1]
        return sum(i.max for i in self.scored_items)

    def band_for(self, total: int) -> Band | None:
        return next((b for b in self.bands if b.low <= total <= b.high), None)

    def count_message(self) -> str:
        required, full = self.required_count, len(self.items)
        if required == full:
            return f"expected {full} values (items 1-{full})"
        return f"expected {required} or {full} values (items 1-{required}, optional item {full})"

    def validate(self, values: Sequence[int | str]) -> tuple[int, ...]:
        if not self.required_count <= len(values) <= len(self.items):
            raise InstrumentInputError(self.id, f"{self.count_message()}, got {len(values)}")
        out = []
        for item, raw in zip(self.items, values, strict=False):
            allowed = item.allowed_text
            value = item.parse(raw)
            if value is None:
                raise InstrumentInputError(
                    self.id, f"{raw!r} is not a number; allowed values are {allowed}", item.number
                )
            if value not in item.allowed:
                raise InstrumentInputError(
                    self.id, f"{value} is out of range; allowed values are {allowed}", item.number
                )
            out.append(value)
        if self.cross_check is not None:
            self.cross_check(self, tuple(out))
        return tuple(out)

    def score(self, values: Sequence[int | str]) -> ScoreResult:
        return self.scorer(self, self.validate(values))


def scale(values: Sequence[int], labels: Sequence[str]) -> tuple[Option, ...]:
    """Options from parallel value and label lists (anchors of a rating scale)."""
    return tuple(Option(v, label) for v, label in zip(values, labels, strict=True))


def numeric_scale(low: int, high: int) -> tuple[Option, ...]:
    """Options for a clinician-rated item whose anchors we may not bundle."""
    return tuple(Option(v, str(v)) for v in range(low, high + 1))


def sum_score(instrument: Instrument, values: tuple[int, ...]) -> ScoreResult:
    """Total = sum of scored items, severity from the bands, no flags. Most scales need no more."""
    scored = [v for item, v in zip(instrument.items, values, strict=False) if item.scored]
    total = sum(scored)
    return ScoreResult(
        instrument=instrument.id,
        total=total,
        min=instrument.min_total,
        max=instrument.max_total,
        band=instrument.band_for(total),
    )
