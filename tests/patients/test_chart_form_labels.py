"""The chart's add forms (diagnosis and weight on the summary tab, prior treatment and
medication on theirs): every label names a field of the page, no two fields share an id,
and each field's help text is the one its aria-describedby points at. The labels pointed
at "diagnosis-id_icd10_code" while the field was "id_icd10_code": a screen reader read
no label, and a click on one focused nothing."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []
        self.described_by: list[str] = []
        self.fields: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "label" and a.get("for"):
            self.label_for.append(a["for"] or "")
        if a.get("aria-describedby"):
            self.described_by += (a["aria-describedby"] or "").split()
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields.append(a.get("id") or "")


@pytest.mark.parametrize("tab, forms", [("summary", ("diagnosis", "weight")),
                                        ("history", ("treatment",)),
                                        ("medications", ("medication",))])
def test_every_label_names_a_field_of_the_chart(signed_in, patient_a, tab: str,
                                                forms: tuple[str, ...]) -> None:
    page = signed_in.get(f"/patients/{patient_a.pk}/?tab={tab}")
    assert page.status_code == 200
    html = _Ids()
    html.feed(page.content.decode())
    entry_fields = [i for i in html.fields if i.split("-")[0] in forms]
    assert len(entry_fields) >= 2 * len(forms), html.fields
    assert len(html.ids) == len(set(html.ids)), "two elements share an id"
    assert set(entry_fields) <= set(html.label_for), "a field of an add form has no label"
    assert set(html.label_for) <= set(html.ids), "a label names no element"
    assert set(html.described_by) <= set(html.ids), "aria-describedby names no element"


def test_a_refused_entry_shows_its_labels_on_the_fields_it_names(signed_in, patient_a) -> None:
    page = signed_in.post(f"/patients/{patient_a.pk}/weight/add/",
                          {"weight_kg": "-3", "measured_on": "2026-01-01"})
    assert page.status_code == 400
    html = _Ids()
    html.feed(page.content.decode())
    assert "weight-weight_kg" in html.fields
    assert set(html.label_for) <= set(html.ids)
