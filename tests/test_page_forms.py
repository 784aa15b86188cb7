"""PageForms: a page's forms built when the template asks for them, bound forms kept;
fields_html: a static blank form's fields rendered once per worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test.signals import template_rendered

from ketacare.page_forms import PageForms, StaticBlank, fields_html


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


# Blank forms whose rendering is static: rendered once per worker (fields_html).

def _static_blank_forms() -> list[type[forms.BaseForm]]:
    import ketacare.patients.forms
    import ketacare.treatment.forms  # noqa: F401  (their forms subclass StaticBlank)

    found: list[type[forms.BaseForm]] = []
    todo = list(StaticBlank.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


@pytest.fixture
def rendered() -> Iterator[list[str]]:
    """The names of the templates rendered during the test (Django's test
    instrumentation sends template_rendered for each)."""
    seen: list[str] = []

    def count(sender: object, template: Any, **kwargs: Any) -> None:
        seen.append(template.name)

    template_rendered.connect(count)
    yield seen
    template_rendered.disconnect(count)


FIELDS = "patients/_entry_fields.html"


def test_the_apps_static_blank_forms_render_once_as_they_would_every_time(
        db, rendered: list[str]) -> None:
    classes = _static_blank_forms()
    assert {c.__name__ for c in classes} >= {"WeightForm", "DiagnosisForm", "AmendForm"}
    for cls in classes:
        rendered.clear()
        fresh = render_to_string(FIELDS, {"form": cls(auto_id="t-%s")})
        first = fields_html(cls(auto_id="t-%s"), FIELDS)
        again = fields_html(cls(auto_id="t-%s"), FIELDS)
        assert first == again == fresh, cls
        assert rendered.count(FIELDS) == 2, cls  # fresh, first: the second was kept
        assert 'id="t-' in first
        other_ids = fields_html(cls(auto_id="u-%s"), FIELDS)
        assert 'id="u-' in other_ids and 'id="t-' not in other_ids


class DatedForm(StaticBlank, forms.Form):
    on = forms.DateField()


def test_a_posted_form_is_rendered_with_its_data_and_errors_every_time(db) -> None:
    blank = fields_html(DatedForm(), FIELDS)
    posted = DatedForm({"on": "not a date"})
    assert not posted.is_valid()
    shown = fields_html(posted, FIELDS)
    assert "not a date" in shown and "Enter a valid date." in shown
    assert shown != blank and fields_html(DatedForm(), FIELDS) == blank


def test_a_changed_initial_value_is_a_new_rendering(db) -> None:
    today = fields_html(DatedForm(initial={"on": "2026-12-07"}), FIELDS)
    tomorrow = fields_html(DatedForm(initial={"on": "2026-12-08"}), FIELDS)
    assert "2026-12-07" in today and "2026-12-08" in tomorrow


def test_a_form_that_is_not_static_blank_is_rendered_every_time(
        db, rendered: list[str]) -> None:
    assert fields_html(NoteForm(), FIELDS) == fields_html(NoteForm(), FIELDS)
    assert rendered.count(FIELDS) == 2
