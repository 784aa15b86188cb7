from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.eligibility import (
    CRITERIA,
    ROUTES,
    Assessment,
    EligibilityInputError,
    ScreeningFacts,
    assess,
    criteria_for,
    criterion,
)

ESK = "esketamine_nasal"
RACEMIC = ("iv", "im", "sc", "oral", "sublingual")
LABEL_ITEMS = (
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_haemorrhage",
)
CAUTIONS = (
    "psychosis",
    "active_substance_use_disorder",
    "uncontrolled_hypertension",
    "cardiovascular_disease",
    "raised_intracranial_pressure",
    "raised_intraocular_pressure",
    "pregnancy",
    "breastfeeding",
)


def no_to_all(route: str, **yes: bool) -> dict[str, bool]:
    answers = {c.code: False for c in criteria_for(route)}
    answers.update(yes)
    return answers


def codes(a: Assessment) -> list[str]:
    return [r.code for r in a.reasons]


# --- the data ------------------------------------------------------------------------


def test_routes() -> None:
    assert set(ROUTES) == {"iv", "im", "sc", "oral", "sublingual", ESK}
    assert "Spravato" in ROUTES[ESK]


@pytest.mark.parametrize("route", ROUTES)
def test_codes_are_unique_within_a_route(route: str) -> None:
    route_codes = [c.code for c in criteria_for(route)]
    assert len(route_codes) == len(set(route_codes))


def test_shared_codes_ask_the_same_question_everywhere() -> None:
    # Answers carry over between routes only if a code means the same thing on each.
    by_code: dict[str, set[tuple[str, str, str]]] = {}
    for c in CRITERIA:
        by_code.setdefault(c.code, set()).add((c.question, c.help, c.finding))
    assert all(len(v) == 1 for v in by_code.values())
    # Racemic routes ask the ketamine label's extra contraindications (issue 14 item 4).
    racemic_only = {"pre_eclampsia", "untreated_hyperthyroidism"}
    assert {frozenset(c.code for c in criteria_for(r)) for r in RACEMIC} == {frozenset(by_code)}
    assert {c.code for c in criteria_for(ESK)} == set(by_code) - racemic_only


def test_criteria_are_well_formed() -> None:
    for c in CRITERIA:
        assert c.code.isidentifier() and c.code == c.code.lower()
        assert c.question.endswith("?") and c.source and c.finding
        assert c.routes and c.routes <= set(ROUTES)
        assert c.kind in ("contraindication", "caution")
        # [check] facts say so where the clinician reads the source.
        assert c.check == ("[check]" in c.source) or c.code.startswith("raised_")


def test_criterion_lookup() -> None:
    assert criterion(ESK, "aneurysmal_vascular_disease").kind == "contraindication"
    assert criterion("iv", "aneurysmal_vascular_disease").kind == "contraindication"
    with pytest.raises(EligibilityInputError, match="not a criterion for iv"):
        criterion("iv", "nope")


def test_hypersensitivity_sources_per_route() -> None:
    assert criterion(ESK, "ketamine_hypersensitivity").source == "Spravato label (absolute)"
    for route in RACEMIC:
        c = criterion(route, "ketamine_hypersensitivity")
        assert c.source == "ketamine hydrochloride label: known hypersensitivity"
        assert c.kind == "contraindication" and not c.check


# --- rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_eligible_when_all_no(route: str) -> None:
    a = assess(route, no_to_all(route))
    assert (a.status, a.reasons) == ("eligible", ())
    normal = ScreeningFacts(age_years=40, sbp_mmhg=120, dbp_mmhg=80)
    assert assess(route, no_to_all(route), normal).status == "eligible"


@pytest.mark.parametrize("route", ROUTES)
def test_hypersensitivity_is_a_contraindication_on_every_route(route: str) -> None:
    a = assess(route, no_to_all(route, ketamine_hypersensitivity=True))
    assert a.status == "ineligible"
    assert [(r.code, r.kind) for r in a.reasons] == [
        ("ketamine_hypersensitivity", "contraindication")
    ]
    assert "Hypersensitivity" in a.reasons[0].message


@pytest.mark.parametrize("code", LABEL_ITEMS)
def test_esketamine_label_items_make_esketamine_ineligible(code: str) -> None:
    a = assess(ESK, no_to_all(ESK, **{code: True}))
    assert a.status == "ineligible"
    (reason,) = a.reasons
    assert (reason.code, reason.kind) == (code, "contraindication")
    assert reason.source == "Spravato label (absolute)" and not reason.check
    assert reason.message.endswith(": contraindicated")


@pytest.mark.parametrize("route", RACEMIC)
@pytest.mark.parametrize("code", LABEL_ITEMS)
def test_esketamine_label_items_are_contraindications_for_racemic_ketamine(
    code: str, route: str
) -> None:
    # Issue 14 item 4: the ketamine labels contraindicate use where a rise in blood
    # pressure is a serious hazard, so these are absolute on every route.
    a = assess(route, no_to_all(route, **{code: True}))
    assert a.status == "ineligible"
    (reason,) = a.reasons
    assert (reason.code, reason.kind, reason.check) == (code, "contraindication", False)
    assert "ketamine hydrochloride label" in reason.source


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("code", CAUTIONS)
def test_each_caution_needs_review(code: str, route: str) -> None:
    a = assess(route, no_to_all(route, **{code: True}))
    assert a.status == "needs_review"
    assert [(r.code, r.kind) for r in a.reasons] == [(code, "caution")]
    assert a.reasons[0].message.endswith(": prescriber review")


def test_apa_cautions_cite_the_consensus_as_not_a_guideline() -> None:
    apa = CAUTIONS[:-1]  # breastfeeding comes from the esketamine label [check]
    for route in ROUTES:
        for code in apa:
            assert "Sanacora 2017" in criterion(route, code).source
            assert "not a standard or guideline" in criterion(route, code).source
    assert criterion("iv", "raised_intracranial_pressure").check
    assert criterion("iv", "raised_intraocular_pressure").check
    assert not criterion("iv", "psychosis").check
    assert criterion(ESK, "breastfeeding").check and criterion("iv", "breastfeeding").check


def test_contraindication_beats_caution_and_comes_first() -> None:
    answers = no_to_all(ESK, psychosis=True, pregnancy=True, intracerebral_haemorrhage=True)
    a = assess(ESK, answers, ScreeningFacts(sbp_mmhg=170, dbp_mmhg=95))
    assert a.status == "ineligible"
    assert codes(a) == [
        "intracerebral_haemorrhage",
        "psychosis",
        "pregnancy",
        "bp_above_predose_threshold",
    ]
    assert [r.code for r in a.contraindications] == ["intracerebral_haemorrhage"]
    assert len(a.cautions) == 3


def test_contraindications_first_whatever_the_form_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from ketacare.clinical import eligibility

    monkeypatch.setattr(eligibility, "CRITERIA", tuple(reversed(CRITERIA)))
    a = assess(ESK, no_to_all(ESK, psychosis=True, arteriovenous_malformation=True))
    assert codes(a) == ["arteriovenous_malformation", "psychosis"]


def test_same_answers_differ_by_route() -> None:
    finding = {"hypertensive_encephalopathy": True}
    assert assess("iv", no_to_all("iv", **finding)).status == "ineligible"
    assert assess(ESK, no_to_all(ESK, **finding)).status == "needs_review"


def test_all_findings_are_listed() -> None:
    answers = {code: True for code in no_to_all("iv")}
    a = assess("iv", answers, ScreeningFacts(age_years=16, sbp_mmhg=150, dbp_mmhg=95))
    assert a.status == "ineligible"
    assert len(a.reasons) == len(criteria_for("iv")) + 2
    assert codes(a)[0] == "ketamine_hypersensitivity"
    assert codes(a)[-2:] == ["bp_above_predose_threshold", "under_18"]


# --- blood pressure and age --------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sbp", "dbp", "flagged"),
    [
        (64, 140, 80, False),
        (64, 141, 80, True),
        (64, 150, 80, True),
        (65, 150, 80, False),
        (65, 151, 80, True),
        (80, 150, 80, False),
        (None, 141, 80, True),  # age unknown: the stricter limit
        (None, 140, 80, False),
        (40, 130, 90, False),
        (40, 130, 91, True),
        (70, 130, 91, True),  # the DBP limit does not rise with age
        (40, None, 91, True),
        (40, None, 90, False),
        (40, 141, None, True),
        (40, None, None, False),
    ],
)
def test_bp_thresholds(age: int | None, sbp: int | None, dbp: int | None, flagged: bool) -> None:
    facts = ScreeningFacts(age_years=age, sbp_mmhg=sbp, dbp_mmhg=dbp)
    for route in ROUTES:
        a = assess(route, no_to_all(route), facts)
        assert a.status == ("needs_review" if flagged else "eligible")
        assert codes(a) == (["bp_above_predose_threshold"] if flagged else [])


def test_bp_message_names_the_reading_and_the_limit() -> None:
    def message(facts: ScreeningFacts) -> str:
        (reason,) = assess("iv", no_to_all("iv"), facts).reasons
        assert reason.kind == "caution"
        return reason.message

    assert message(ScreeningFacts(age_years=50, sbp_mmhg=141, dbp_mmhg=85)) == (
        "Blood pressure above the pre-dose threshold: 141/85 mmHg (limit 140/90, under 65)"
    )
    assert message(ScreeningFacts(age_years=70, sbp_mmhg=151, dbp_mmhg=85)) == (
        "Blood pressure above the pre-dose threshold: 151/85 mmHg (limit 150/90, age 65 or over)"
    )
    assert "SBP 145 mmHg" in message(ScreeningFacts(sbp_mmhg=145))
    assert "age not given" in message(ScreeningFacts(sbp_mmhg=145))
    assert "DBP 91 mmHg" in message(ScreeningFacts(age_years=30, dbp_mmhg=91))


@pytest.mark.parametrize(("age", "flagged"), [(17, True), (0, True), (18, False), (120, False)])
def test_under_18_needs_review(age: int, flagged: bool) -> None:
    a = assess(ESK, no_to_all(ESK), ScreeningFacts(age_years=age))
    assert codes(a) == (["under_18"] if flagged else [])
    assert a.status == ("needs_review" if flagged else "eligible")


# --- output -------------------------------------------------------------------------------


def test_as_dict_is_json_friendly() -> None:
    a = assess(ESK, no_to_all(ESK, arteriovenous_malformation=True, psychosis=True))
    d = a.as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["route"] == ESK and d["status"] == "ineligible"
    assert d["route_label"] == ROUTES[ESK] and d["status_label"] == "Ineligible"
    assert [r["code"] for r in d["reasons"]] == ["arteriovenous_malformation", "psychosis"]
    assert d["reasons"][0] == {
        "code": "arteriovenous_malformation",
        "kind": "contraindication",
        "message": "Arteriovenous malformation: contraindicated",
        "source": "Spravato label (absolute)",
        "check": False,
    }


# --- errors -------------------------------------------------------------------------------


def one_line(err: pytest.ExceptionInfo[EligibilityInputError]) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("route", ["IV", "nasal", "", None, 3])
def test_unknown_route(route: object) -> None:
    with pytest.raises(EligibilityInputError) as err:
        assess(route, {})  # type: ignore[arg-type]
    text = one_line(err)
    assert text.startswith("route: ") and "iv, im, sc, oral, sublingual, esketamine_nasal" in text
    assert err.value.field == "route"
    with pytest.raises(EligibilityInputError):
        criteria_for(route)  # type: ignore[arg-type]


def test_missing_answers_are_named() -> None:
    answers = no_to_all("iv")
    del answers["psychosis"], answers["pregnancy"]
    with pytest.raises(EligibilityInputError) as err:
        assess("iv", answers)
    text = one_line(err)
    assert text.startswith("answers: missing psychosis, pregnancy;")
    with pytest.raises(EligibilityInputError, match="answers: missing ketamine_hypersensitivity"):
        assess(ESK, {})


def test_unknown_answer_keys() -> None:
    with pytest.raises(EligibilityInputError) as err:
        assess("iv", {**no_to_all("iv"), "smoker": False})
    text = one_line(err)
    assert "unknown criterion code(s) 'smoker' for route iv" in text
    assert "allowed codes are ketamine_hypersensitivity, " in text


@pytest.mark.parametrize("value", [1, 0, "yes", "false", None, 1.0])
def test_answers_must_be_bool(value: object) -> None:
    answers: dict[str, object] = {**no_to_all("sc"), "pregnancy": value}
    with pytest.raises(EligibilityInputError) as err:
        assess("sc", answers)  # type: ignore[arg-type]
    assert one_line(err).startswith("answers.pregnancy: ")
    assert "true or false" in str(err.value)
    assert err.value.field == "answers.pregnancy"


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(EligibilityInputError, match="answers: must be a mapping"):
        assess("iv", [("psychosis", True)])  # type: ignore[arg-type]


def test_facts_must_be_screening_facts() -> None:
    with pytest.raises(EligibilityInputError, match="facts: "):
        assess("iv", no_to_all("iv"), {"sbp_mmhg": 150})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field", "range_text"),
    [
        ({"age_years": -1}, "age_years", "from 0 to 120 years"),
        ({"age_years": 121}, "age_years", "from 0 to 120 years"),
        ({"sbp_mmhg": 49}, "sbp_mmhg", "from 50 to 300 mmHg"),
        ({"sbp_mmhg": 301}, "sbp_mmhg", "from 50 to 300 mmHg"),
        ({"dbp_mmhg": 19}, "dbp_mmhg", "from 20 to 200 mmHg"),
        ({"dbp_mmhg": 201}, "dbp_mmhg", "from 20 to 200 mmHg"),
        ({"age_years": 40.5}, "age_years", "from 0 to 120 years"),
        ({"sbp_mmhg": "140"}, "sbp_mmhg", "from 50 to 300 mmHg"),
        ({"dbp_mmhg": True}, "dbp_mmhg", "from 20 to 200 mmHg"),
    ],
)
def test_facts_out_of_range(kwargs: dict[str, object], field: str, range_text: str) -> None:
    with pytest.raises(EligibilityInputError) as err:
        ScreeningFacts(**kwargs)  # type: ignore[arg-type]
    text = one_line(err)
    assert text.startswith(f"{field}: ") and range_text in text
    assert err.value.field == field


@pytest.mark.parametrize(
    "kwargs",
    [
        {"age_years": 0},
        {"age_years": 120},
        {"sbp_mmhg": 50, "dbp_mmhg": 20},
        {"sbp_mmhg": 300, "dbp_mmhg": 200},
    ],
)
def test_facts_range_edges_are_allowed(kwargs: dict[str, int]) -> None:
    ScreeningFacts(**kwargs)


def test_swapped_bp_is_refused() -> None:
    with pytest.raises(EligibilityInputError) as err:
        ScreeningFacts(sbp_mmhg=80, dbp_mmhg=120)
    assert one_line(err).startswith("sbp_mmhg: systolic 80 must be above diastolic 120")
    with pytest.raises(EligibilityInputError):
        ScreeningFacts(sbp_mmhg=90, dbp_mmhg=90)


# --- properties ---------------------------------------------------------------------------


@st.composite
def screenings(draw: st.DrawFn) -> tuple[str, dict[str, bool], ScreeningFacts | None]:
    route = draw(st.sampled_from(sorted(ROUTES)))
    answers = {c.code: draw(st.booleans()) for c in criteria_for(route)}
    facts = None
    if draw(st.booleans()):
        dbp = draw(st.none() | st.integers(20, 200))
        low_sbp = max(50, dbp + 1) if dbp is not None else 50
        facts = ScreeningFacts(
            age_years=draw(st.none() | st.integers(0, 120)),
            sbp_mmhg=draw(st.none() | st.integers(low_sbp, 300)),
            dbp_mmhg=dbp,
        )
    return route, answers, facts


def fact_findings(route: str, facts: ScreeningFacts | None) -> list[str]:
    # Written out again from the reference, independently of the module.
    if facts is None:
        return []
    age, sbp, dbp = facts.age_years, facts.sbp_mmhg, facts.dbp_mmhg
    limit = 150 if age is not None and age >= 65 else 140
    found = []
    # Ketamine labels (reference s.8): uncontrolled hypertension > 180/100, racemic only.
    if route != ESK and ((sbp is not None and sbp > 180) or (dbp is not None and dbp > 100)):
        found.append("bp_above_180_100")
    if (sbp is not None and sbp > limit) or (dbp is not None and dbp > 90):
        found.append("bp_above_predose_threshold")
    if age is not None and age < 18:
        found.append("under_18")
    return found


@given(screenings())
def test_status_follows_the_findings(
    screening: tuple[str, dict[str, bool], ScreeningFacts | None],
) -> None:
    route, answers, facts = screening
    a = assess(route, answers, facts)
    yes = [c for c in criteria_for(route) if answers[c.code]]
    from_facts = fact_findings(route, facts)
    contraindicated = any(c.kind == "contraindication" for c in yes) or (
        "bp_above_180_100" in from_facts
    )

    assert (a.status == "ineligible") == contraindicated
    assert (a.status == "eligible") == (not yes and not from_facts)
    # Every finding is a reason, once; contraindications first, then form order.
    expected = [c.code for c in yes if c.kind == "contraindication"]
    expected += ["bp_above_180_100"] if "bp_above_180_100" in from_facts else []
    expected += [c.code for c in yes if c.kind == "caution"]
    expected += [f for f in from_facts if f != "bp_above_180_100"]
    assert codes(a) == expected
    assert a.route == route
    assert json.loads(json.dumps(a.as_dict())) == a.as_dict()
