"""PageForms: a page's forms built when the template asks for them, bound forms kept."""

from __future__ import annotations

import pytest
from django import forms

from ketacare.page_forms import PageForms


class NoteForm(forms.Form):
    text = forms.CharField()


def test_a_form_is_built_the_first_time_it_is_asked_for_and_only_then() -> None:
    built: list[str] = []

    def blank(name: str):  # type: ignore[no-untyped-def]
        def make() -> forms.Form:
            built.append(name)
            return NoteForm()
        return make

    page = PageForms({"note": blank("note"), "other": blank("other")})
    assert built == []
    first = page["note"]
    assert page["note"] is first
    assert built == ["note"]
    assert list(page) == ["note", "other"] and len(page) == 2


def test_the_posted_form_is_shown_as_posted_and_told_apart_from_a_blank_one() -> None:
    posted = NoteForm({"text": ""})
    page = PageForms({"note": NoteForm, "other": NoteForm}, {"note": posted})
    assert page["note"] is posted
    assert page.bound("note") is posted
    assert not posted.is_valid() and page["note"].errors
    assert page.bound("other") is None
    assert not page["other"].is_bound and page.bound("other") is None


def test_a_posted_form_the_page_does_not_offer_is_refused() -> None:
    with pytest.raises(KeyError, match="no such form"):
        PageForms({"note": NoteForm}, {"notes": NoteForm({})})
