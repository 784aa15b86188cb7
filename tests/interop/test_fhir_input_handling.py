"""FHIR input that used to be a 500 or used to be stored though the web form refuses it,
and a bounded fuzz of every search and create: never a 5xx, every refusal a 4xx
OperationOutcome naming the element or parameter."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketacare.patients.models import Weight
from ketacare.selfreport.models import Response

from .conftest import auth
from .test_fhir_create_import import hl7_phq9
from .test_fhir_read_search import is_outcome

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

TYPES = ("Patient", "Observation", "QuestionnaireResponse", "Questionnaire", "Encounter",
         "MedicationAdministration", "Consent")


def test_every_served_type_is_walked() -> None:
    """A new FHIR type gets the extreme-date and fuzz tests below, or this fails."""
    from ketacare.interop.fhir.registry import load

    assert set(TYPES) == set(load())


def post(client, rtype: str, body: Any, token: str):  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/fhir/{rtype}", raw, content_type="application/fhir+json",
                       **auth(token))


def weight(patient_id: Any, value: Any = 80, effective: Any = "2026-02-01") -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": effective,
            "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org",
                              "code": "kg"}}


def expression(body: dict[str, Any]) -> str:
    return str(body["issue"][0].get("expression", [""])[0])


def test_deeply_nested_json_is_400(client, patient_a, token_a) -> None:
    deep = '{"resourceType": "QuestionnaireResponse", "item": ' + "[" * 5000 + "]" * 5000 + "}"
    is_outcome(post(client, "QuestionnaireResponse", deep, token_a), 400)
    nested_items = {"linkId": "x"}
    for _ in range(400):  # valid JSON, each level a legal item: refused before validation
        nested_items = {"linkId": "x", "item": [nested_items]}
    body = {**hl7_phq9(patient_a.pk, [0] * 9), "item": [nested_items]}
    is_outcome(post(client, "QuestionnaireResponse", body, token_a), 400)
    assert not Response.objects.exists()


@pytest.mark.parametrize("value", [1e30, -1e30, 1e-30, 123456789012345678901234567890,
                                   True, [80], {"v": 80}, 0, -80, 300.1])
def test_absurd_weights_are_4xx_naming_the_value(client, patient_a, token_a, value) -> None:
    body = is_outcome(post(client, "Observation", weight(patient_a.pk, value), token_a), 422)
    assert expression(body).startswith("Observation.valueQuantity"), body
    assert not Weight.objects.exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_400(client, patient_a, token_a, constant) -> None:
    """Python's parser accepts these JavaScript constants; JSON (RFC 8259) does not."""
    raw = json.dumps(weight(patient_a.pk)).replace('"value": 80', f'"value": {constant}')
    is_outcome(post(client, "Observation", raw, token_a), 400)
    assert not Weight.objects.exists()


EXTREME_DATES = ("9999-12-31", "9999", "9999-12", "9999-12-31T23:59:59-05:00", "gt9999-12-31",
                 "le9999-12-31", "0001-01-01", "lt0001-01-01T00:00:00+14:00", "ge0001",
                 "0001-01-01T00:00Z")


@pytest.mark.parametrize("rtype", TYPES)
def test_extreme_search_dates_are_not_500(client, charted, token_a, rtype) -> None:
    everything = client.get(f"/fhir/{rtype}", **auth(token_a)).json()["total"]
    for param in ("date", "_lastUpdated"):
        if param == "date" and rtype in {"Patient", "Questionnaire"}:
            continue  # no date parameter: a 400 naming it, tested elsewhere
        for value in EXTREME_DATES:
            response = client.get(f"/fhir/{rtype}", {param: value}, **auth(token_a))
            assert response.status_code == 200, (param, value, response.content)
            if rtype != "Questionnaire":  # questionnaires carry no dates: nothing matches
                assert everything > 0
                expected = everything if value.startswith(("le9999", "ge0001")) else 0
                assert response.json()["total"] == expected, (param, value)


@pytest.mark.parametrize("effective", ["2099-01-01", "0001-01-01", "1900-01-01"])
def test_weight_dates_the_web_form_refuses(client, patient_a, token_a, prescriber_a,
                                           effective) -> None:
    body = is_outcome(post(client, "Observation", weight(patient_a.pk, effective=effective),
                           token_a), 422)
    assert expression(body) == "Observation.effectiveDateTime"
    client.force_login(prescriber_a)
    page = client.post(f"/patients/{patient_a.pk}/weight/add/",
                       {"weight_kg": "80", "measured_on": effective})
    assert page.status_code == 400
    message = body["issue"][0]["diagnostics"].split(": ", 1)[1]
    assert message.replace("'", "&#x27;") in page.content.decode()  # the same words
    assert not Weight.objects.exists()


def test_weight_today_in_the_clinic_is_accepted(client, patient_a, token_a) -> None:
    today = patient_a.clinic.today()
    response = post(client, "Observation", weight(patient_a.pk, effective=today.isoformat()),
                    token_a)
    assert response.status_code == 201, response.content
    tomorrow = (today + timedelta(days=1)).isoformat()
    is_outcome(post(client, "Observation", weight(patient_a.pk, effective=tomorrow), token_a),
               422)


@pytest.mark.parametrize("authored", ["1900-01-01", "2099-01-01", "2099-01-01T10:00:00Z",
                                      "1900-06-01T10:00:00+01:00", "0001-01-01"])
def test_questionnaire_response_dates_out_of_range(client, patient_a, token_a,
                                                   authored) -> None:
    body = {**hl7_phq9(patient_a.pk, [0] * 9), "authored": authored}
    outcome = is_outcome(post(client, "QuestionnaireResponse", body, token_a), 422)
    assert expression(outcome) == "QuestionnaireResponse.authored"
    assert not Response.objects.exists()


# --- fuzz -----------------------------------------------------------------------------

NASTY = st.one_of(
    st.sampled_from(["", "9999-12-31", "0001-01-01", "lt0001", "gt9999-12-31T23:59:59Z",
                     "2024-02-30", "2024-13", "eq", "ne2024", "1e30", "-1", "9" * 40,
                     "Patient/", "Patient/../x", "Group/1", "%00", "\x00", "a|", "|b",
                     "http://loinc.org|", "-_id", "date,", "null", "[]", "{}"]),
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
PARAMS = st.sampled_from(["_id", "_lastUpdated", "date", "patient", "subject", "code",
                          "identifier", "_count", "_offset", "_sort", "status", "url",
                          "patient:Patient", "date:missing", "_format", "_total"])
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def test_fuzz_searches(client, charted, token_a) -> None:
    @given(rtype=st.sampled_from(TYPES),
           query=st.lists(st.tuples(PARAMS, NASTY), max_size=4))
    @FUZZ
    def check(rtype: str, query: list[tuple[str, str]]) -> None:
        data: dict[str, list[str]] = {}
        for key, value in query:
            data.setdefault(key, []).append(value)
        response = client.get(f"/fhir/{rtype}", data, **auth(token_a))
        assert response.status_code < 500, (rtype, query, response.content)
        if response.status_code >= 400:
            is_outcome(response, response.status_code)

    check()


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40),
                                                             max_value=10**40),
                      st.floats(allow_nan=False), st.text(max_size=8),
                      st.sampled_from(["9999-12-31", "0001-01-01", "2099-01-01T00:00:00Z",
                                       "Patient/1", "Group/1"]))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += _paths(inner, (*prefix, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def test_a_null_element_is_refused_naming_it(client, patient_a, token_a) -> None:
    """Found by the fuzz: `"coding": null` passed the models (null read as absent) and the
    create's own reading of the code raised a 500."""
    body = {**weight(patient_a.pk), "code": {"coding": None}}
    response = post(client, "Observation", body, token_a)
    is_outcome(response, 422)
    assert expression(response.json()) == "Observation.code.coding"


def test_fuzz_creates(client, patient_a, token_a, token_b) -> None:
    """Valid bodies with one element swapped for something of the wrong type, an extreme
    value or a reference elsewhere; sent by this clinic's token and by another clinic's."""
    valid = {"QuestionnaireResponse": hl7_phq9(patient_a.pk, [0] * 9),
             "Observation": weight(patient_a.pk)}

    @given(rtype=st.sampled_from(sorted(valid)), data=st.data(), new=JSON,
           foreign=st.booleans())
    @FUZZ
    def check(rtype: str, data: st.DataObject, new: Any, foreign: bool) -> None:
        body = valid[rtype]
        path = data.draw(st.sampled_from(_paths(body)[1:]))
        response = post(client, rtype, _replace(body, path, new), token_b if foreign else token_a)
        assert response.status_code < 500, (rtype, path, new, response.content)
        if response.status_code >= 400:
            is_outcome(response, response.status_code)
        if foreign:
            assert response.status_code >= 400

    check()
