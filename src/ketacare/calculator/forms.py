"""A Django form built from an instrument's data: radios for self-report items, number
entry for clinician-rated ones. Validation of values is the instrument's own."""

from __future__ import annotations

from django import forms

from ketacare.clinical.instruments import Instrument, InstrumentInputError, ScoreResult
from ketacare.clinical.instruments.base import Item


def field_name(item_number: int) -> str:
    return f"item_{item_number}"


class InstrumentForm(forms.Form):
    def __init__(self, instrument: Instrument, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.instrument = instrument
        self.result: ScoreResult | None = None
        radios = instrument.rater != "clinician"
        for item in instrument.items:
            label = item.text or item.label
            field: forms.Field
            if radios:
                field = forms.TypedChoiceField(
                    label=label,
                    choices=[(o.value, o.label) for o in item.options],
                    coerce=int,
                    empty_value=None,
                    widget=forms.RadioSelect,
                    required=not item.optional,
                )
            else:
                field = forms.IntegerField(
                    label=label,
                    min_value=item.min,
                    max_value=item.max,
                    required=not item.optional,
                    help_text=f"{item.min}-{item.max}",
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
            self.fields[field_name(item.number)] = field

    def rows(self) -> list[tuple[Item, forms.BoundField]]:
        """Each item with its bound field, in item order, for the template."""
        return [(item, self[field_name(item.number)]) for item in self.instrument.items]

    def values(self) -> list[int]:
        """Answers in item order, stopping at the first unanswered optional item."""
        out = []
        for item in self.instrument.items:
            value = self.cleaned_data.get(field_name(item.number))
            if value is None:
                break
            out.append(value)
        return out

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.result = self.instrument.score(self.values())
        except InstrumentInputError as exc:
            # The instrument's rule (e.g. ASQ item 5) belongs next to the item it names.
            name = field_name(exc.item) if exc.item else None
            self.add_error(name, str(exc).split(": ", 1)[-1])
        return cleaned

    def unanswered(self) -> list[int]:
        return [
            item.number
            for item in self.instrument.items
            if not item.optional and field_name(item.number) in self.errors
        ]
