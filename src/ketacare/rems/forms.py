"""Web forms for the REMS page. They only collect what was entered; the rules (ranges, BP
format, completeness) are `ketacare.rems.fields`, applied by the actions, so the page, a
future API and the tests share one set of messages."""

from __future__ import annotations

from typing import Any

from django import forms

from . import fields


def _widget(field: fields.Field) -> forms.Widget:
    if field.choices:
        return forms.RadioSelect(choices=field.choices)
    if field.kind == "date":
        return forms.DateInput(attrs={"type": "date"})
    if field.kind == "int":
        return forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})
    if field.kind == "bp":
        return forms.TextInput(attrs={"placeholder": "124/78", "inputmode": "numeric",
                                      "autocomplete": "off", "size": 8})
    return forms.TextInput(attrs={"autocomplete": "off"})


class RemsFormForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in fields.FIELDS:
            self.fields[spec.key] = forms.CharField(
                label=spec.label, required=False, widget=_widget(spec), strip=True)

    def raw(self) -> dict[str, Any]:
        return {f.key: self.cleaned_data.get(f.key) for f in fields.FIELDS}


class AmendForm(forms.Form):
    field = forms.ChoiceField(label="Answer to correct",
                              choices=[("", "Choose...")] + [(f.key, f.label)
                                                             for f in fields.FIELDS])
    value = forms.CharField(label="Corrected answer", max_length=500,
                            help_text="Yes/no answers: yes or no. Dates: YYYY-MM-DD. "
                                      "Blood pressure: SBP/DBP. Dose: 56, 84 or other.")
    reason = forms.CharField(label="Reason for the correction", max_length=300)
