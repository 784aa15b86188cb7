"""The one mapping from an action's ValidationError to a form's errors, used by every page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ketacare.form_errors import apply_errors


class DoseForm(forms.Form):
    dose_mg = forms.FloatField()
    witness_username = forms.CharField()


def _form() -> DoseForm:
    form = DoseForm({"dose_mg": "1", "witness_username": "x"})
    assert form.is_valid()
    return form


def test_messages_go_to_the_field_they_name_and_the_rest_to_the_top() -> None:
    form = _form()
    apply_errors(form, ValidationError({"dose_mg": "Above the maximum.",
                                        "stock": "No stock.",
                                        NON_FIELD_ERRORS: "Not today."}))
    assert form.errors == {"dose_mg": ["Above the maximum."],
                           NON_FIELD_ERRORS: ["No stock.", "Not today."]}


def test_an_error_naming_no_field_goes_to_the_top_or_the_default_field() -> None:
    form = _form()
    apply_errors(form, ValidationError(["One.", "Two."]))
    assert form.non_field_errors() == ["One.", "Two."]
    form = _form()
    apply_errors(form, ValidationError("Bad JSON."), default="dose_mg")
    assert form.errors == {"dose_mg": ["Bad JSON."]}


def test_action_names_the_form_spells_differently_are_renamed() -> None:
    form = _form()
    apply_errors(form, ValidationError({"witness": "Not a nurse.", "dose_mg": "Too much."}),
                 field_for={"witness": "witness_username"}.get)
    assert form.errors == {"witness_username": ["Not a nurse."], "dose_mg": ["Too much."]}


def test_unplaced_messages_can_carry_the_name_they_came_with() -> None:
    form = _form()
    apply_errors(form, ValidationError({"schedule.phases[0]": "Too many.",
                                        NON_FIELD_ERRORS: "Whole thing."}),
                 label_unplaced=True)
    assert form.non_field_errors() == ["schedule.phases[0]: Too many.", "Whole thing."]
