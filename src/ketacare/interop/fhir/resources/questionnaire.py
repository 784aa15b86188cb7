"""Questionnaire: the instrument library, with LOINC codes where they exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import Instrument, all_instruments
from ketacare.clinical.instruments.base import Item, Option

from ..common import LOCAL_CODES, LOINC, coding, questionnaire_url
from ..registry import Entry, Param, Resource, ResourceType, Scope, register


def answer_coding(instrument: Instrument, option: Option) -> dict[str, str]:
    if option.loinc_answer:
        return coding(LOINC, option.loinc_answer, option.label)
    return coding(f"{LOCAL_CODES}/{instrument.id}-answer", str(option.value), option.label)


def item_code(instrument: Instrument, item: Item) -> dict[str, str]:
    if item.loinc:
        return coding(LOINC, item.loinc, item.label)
    return coding(f"{LOCAL_CODES}/{instrument.id}-item", str(item.number), item.label)


def panel_code(instrument: Instrument) -> dict[str, str]:
    if instrument.loinc_panel:
        return coding(LOINC, instrument.loinc_panel, instrument.name)
    return coding(f"{LOCAL_CODES}/instrument", instrument.id, instrument.name)


def to_fhir(instrument: Instrument) -> Resource:
    items: list[dict[str, Any]] = []
    for item in instrument.items:
        items.append({
            "linkId": str(item.number),
            "code": [item_code(instrument, item)],
            "prefix": f"{item.number}.",
            "text": item.text if instrument.full_text_bundled and item.text else item.label,
            "type": "choice",
            "required": not item.optional,
            "answerOption": [{"valueCoding": answer_coding(instrument, o)}
                             for o in item.options],
        })
    out: Resource = {
        "resourceType": "Questionnaire",
        "id": instrument.id,
        "url": questionnaire_url(instrument.id),
        "name": instrument.id.replace("-", "_").upper(),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "code": [panel_code(instrument)],
        "item": items,
    }
    if instrument.instructions:
        out["description"] = instrument.instructions
    if instrument.license:
        out["copyright"] = instrument.license
    return out


def codes(instrument: Instrument) -> frozenset[tuple[str, str]]:
    code = panel_code(instrument)
    return frozenset({(code["system"], code["code"])})


def collect(staff: Staff, scope: Scope) -> Iterator[Entry]:
    for instrument in all_instruments():
        if scope.ids is not None and instrument.id not in scope.ids:
            continue
        yield Entry(instrument.id, to_fhir(instrument), None, codes(instrument))


register(ResourceType(
    name="Questionnaire", collect=collect, perm=None,
    params=(Param("code", "token", "The instrument's code: LOINC panel (e.g. "
                  "http://loinc.org|44249-1) or a local code."),),
    documentation="The instrument library. Full item text only where its license allows.",
))
