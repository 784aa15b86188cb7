"""Screening and eligibility per route (clinical reference s.4; issue 3, item 3).

A screening is a set of yes/no questions (`Criterion`) plus a few measured facts
(`ScreeningFacts`). Every "yes" is a finding:
- a *contraindication* makes the route `ineligible`;
- a *caution* means `needs_review`: a prescriber decides and records a rationale.
No finding means `eligible`. The result lists every finding, contraindications first, so
the prescriber sees everything at once rather than the first problem only.

Sources and their weight:
- Spravato (esketamine nasal spray) label, contraindications: aneurysmal vascular disease
  or arteriovenous malformation, history of intracerebral haemorrhage, hypersensitivity to
  esketamine, ketamine or an excipient. Absolute for the esketamine route.
- Ketamine hydrochloride (racemic) labels: known hypersensitivity, and use "where a rise in
  blood pressure would be a serious hazard" (e.g. previous stroke, aneurysm), uncontrolled
  hypertension (> 180/100 mmHg at rest), pre-eclampsia/eclampsia and untreated
  hyperthyroidism (clinical reference s.8; e.g. the Swiss Ketalar information,
  "Kontraindikationen"). Absolute for every racemic route (issue 14 item 4): so the
  esketamine label's vascular and haemorrhage items are contraindications on *every*
  route, and a screening BP above 180/100 makes a racemic route ineligible.
- Hypertensive encephalopathy: a condition where a BP rise is a serious hazard, so a
  contraindication for racemic ketamine by the same clause [check: not named in the
  labels we read]; the Spravato label (5.6) asks for closer BP monitoring: a caution.
- Spravato label, warnings and specific populations (issue 14 item 5; reference s.8):
  abuse and misuse (5.3, 9.2: history of substance use disorder including alcohol, and
  prior ketamine misuse), psychosis (5.2), cognitive impairment (5.7), ulcerative or
  interstitial cystitis (5.9), hepatic impairment (8.6: moderate, monitor longer;
  Child-Pugh C, not recommended), embryo-fetal toxicity (5.10, 8.3). Cautions for
  esketamine; for racemic ketamine by analogy [check].
- Pregnancy test for people who could become pregnant: a [clinic default] drawn from the
  label's embryo-fetal warning (the label itself asks for pregnancy planning and
  prevention, not a test).
- Sanacora et al. 2017, APA consensus statement, explicitly "not a standard or guideline":
  psychosis, active substance use disorder, uncontrolled hypertension, pregnancy,
  significant cardiovascular disease, raised intracranial or intraocular pressure [check].
- Pre-dose blood pressure (esketamine label and its phase 3 trials, used as the clinic
  default for every route): hold or review if SBP > 140 (> 150 at age >= 65) or DBP > 90.
  At screening a high reading is a caution, not a contraindication: it may be white-coat,
  treated, or rechecked on the day.

Questions shared by several routes keep one code, so answers given for one route carry
over when the prescriber considers another; the kind and source may differ per route
(`criteria_for`). Codes are unique within a route, not across `CRITERIA`.

Not patient criteria, so not here: an ACLS-certified clinician present and cardiac and
respiratory monitoring (clinic setup), escort home and no driving (session day).
Indication (e.g. treatment-resistant depression, >= 2 failed adequate antidepressant
trials) is derived from the patient's treatment history, not screened here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from .routes import ALL_ROUTES, ESKETAMINE, RACEMIC, ROUTES

Kind = Literal["contraindication", "caution"]
Status = Literal["eligible", "needs_review", "ineligible"]

STATUS_LABELS: dict[str, str] = {
    "eligible": "Eligible",
    "needs_review": "Needs prescriber review",
    "ineligible": "Ineligible",
}

# Pre-dose hold/review thresholds (reference s.4: esketamine label and phase 3 trials;
# clinic default for all routes). A reading is over the limit when strictly greater.
SBP_LIMIT_MMHG = 140
SBP_LIMIT_OLDER_MMHG = 150
OLDER_AGE_YEARS = 65
DBP_LIMIT_MMHG = 90
# Ketamine hydrochloride labels: uncontrolled hypertension, "> 180/100 mmHg at rest"
# (clinical reference s.8). A screening reading above either number: racemic routes are
# contraindicated (strictly above, as the label words it).
SEVERE_SBP_MMHG = 180
SEVERE_DBP_MMHG = 100
# How long a screening result holds before a course can start on it [clinic default:
# 90 days; setting `screening_valid_days`, 1-365].
SCREENING_VALID_DAYS = 90
SCREENING_VALID_RANGE_DAYS = (1, 365)
# Spravato is not approved under 18, and the reference's protocols come from adult
# studies [check: age limit not in the clinical reference].
ADULT_AGE_YEARS = 18

AGE_RANGE = (0, 120)
SBP_RANGE = (50, 300)
DBP_RANGE = (20, 200)

_SPRAVATO = "Spravato label (absolute)"
_KETAMINE_LABEL = (
    "ketamine hydrochloride label: contraindicated where a rise in blood pressure is a "
    "serious hazard (clinical reference s.8)"
)
_ANALOGY = "; for racemic ketamine by analogy with the esketamine label [check]"
_APA = "Sanacora 2017 APA consensus (caution; not a standard or guideline)"


class EligibilityInputError(ValueError):
    """Bad screening input. `str()` is one line naming the field and what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Criterion:
    code: str  # stable snake_case; the key of the answer
    question: str  # asked on the form; "yes" is the finding
    kind: Kind
    routes: frozenset[str]
    source: str
    check: bool = False  # the reference marks this [check]
    help: str = ""
    # The finding named in a few words, as a prescriber reads it in a list of reasons.
    finding: str = ""


def _every_route(label_item: Criterion) -> tuple[Criterion, Criterion]:
    """An esketamine label contraindication and its racemic counterpart, also absolute
    (the ketamine labels' blood-pressure clause)."""
    return label_item, replace(label_item, routes=RACEMIC, source=_KETAMINE_LABEL)


def _racemic_by_analogy(label_item: Criterion) -> tuple[Criterion, Criterion]:
    """An esketamine label caution and its racemic counterpart, by analogy [check]."""
    return label_item, replace(
        label_item, routes=RACEMIC, source=label_item.source + _ANALOGY, check=True
    )


_ESKETAMINE_HYPERSENSITIVITY = Criterion(
    code="ketamine_hypersensitivity",
    question="Has the patient had an allergic (hypersensitivity) reaction to ketamine, "
    "esketamine, or an ingredient of the product?",
    kind="contraindication",
    routes=ESKETAMINE,
    source=_SPRAVATO,
    help="Racemic ketamine contains esketamine, so an allergy to either counts.",
    finding="Hypersensitivity to ketamine or esketamine",
)

_HYPERTENSIVE_ENCEPHALOPATHY = Criterion(
    code="hypertensive_encephalopathy",
    question="Has the patient ever had hypertensive encephalopathy?",
    kind="caution",
    routes=ESKETAMINE,
    source="Spravato label 5.6: history of hypertensive encephalopathy, monitor blood "
    "pressure more closely",
    finding="History of hypertensive encephalopathy",
)

_LABEL_CAUTIONS: tuple[Criterion, ...] = (
    Criterion(
        code="substance_misuse_history",
        question="Has the patient ever had a substance use disorder or misused drugs or "
        "alcohol (in the past, not only now)?",
        kind="caution",
        routes=ESKETAMINE,
        source="Spravato label 5.3 and 9.2: assess the risk of abuse and misuse; history "
        "of substance use disorder including alcohol",
        finding="History of substance misuse",
    ),
    Criterion(
        code="ketamine_misuse_history",
        question="Has the patient ever used ketamine or esketamine outside medical care, "
        "or misused it?",
        kind="caution",
        routes=ESKETAMINE,
        source="Spravato label 5.3: abuse and misuse of ketamine and esketamine",
        finding="Prior ketamine misuse",
    ),
    Criterion(
        code="cystitis",
        question="Does the patient have ulcerative or interstitial cystitis (or lasting "
        "bladder symptoms)?",
        kind="caution",
        routes=ESKETAMINE,
        source="Spravato label 5.9: ulcerative or interstitial cystitis; monitor urinary "
        "and bladder symptoms",
        finding="Ulcerative or interstitial cystitis",
    ),
    Criterion(
        code="cognitive_impairment",
        question="Does the patient have cognitive impairment (e.g. dementia, a memory "
        "disorder)?",
        kind="caution",
        routes=ESKETAMINE,
        source="Spravato label 5.7: cognitive impairment",
        finding="Cognitive impairment",
    ),
    Criterion(
        code="hepatic_impairment_moderate",
        question="Does the patient have moderate hepatic impairment (Child-Pugh B)?",
        kind="caution",
        routes=ESKETAMINE,
        source="Spravato label 8.6: moderate hepatic impairment, monitor for adverse "
        "reactions for longer",
        help="Plan a longer observation after each dose.",
        finding="Moderate hepatic impairment (Child-Pugh B): longer monitoring",
    ),
    Criterion(
        code="hepatic_impairment_severe",
        question="Does the patient have severe hepatic impairment (Child-Pugh C)?",
        kind="caution",
        routes=ESKETAMINE,
        source="Spravato label 8.6: severe hepatic impairment (Child-Pugh C) not studied, "
        "use not recommended",
        finding="Severe hepatic impairment (Child-Pugh C): not recommended",
    ),
)

# Not in the reference: the Spravato label (8.2) advises against breastfeeding during
# treatment; racemic ketamine by analogy. Both [check].
_ESKETAMINE_BREASTFEEDING = Criterion(
    code="breastfeeding",
    question="Is the patient breastfeeding?",
    kind="caution",
    routes=ESKETAMINE,
    source="Spravato label 8.2: breastfeeding not recommended [check]",
    check=True,
    finding="Breastfeeding",
)

CRITERIA: tuple[Criterion, ...] = (
    # Label contraindications first: a form that opens with them stops early.
    _ESKETAMINE_HYPERSENSITIVITY,
    replace(
        _ESKETAMINE_HYPERSENSITIVITY,
        routes=RACEMIC,
        source="ketamine hydrochloride label: known hypersensitivity",
    ),
    *_every_route(
        Criterion(
            code="aneurysmal_vascular_disease",
            question="Does the patient have an aneurysm or aneurysmal vascular disease "
            "(thoracic or abdominal aorta, intracranial, or peripheral arteries)?",
            kind="contraindication",
            routes=ESKETAMINE,
            source=_SPRAVATO,
            help="Ketamine and esketamine raise blood pressure for up to about 4 hours.",
            finding="Aneurysmal vascular disease",
        )
    ),
    *_every_route(
        Criterion(
            code="arteriovenous_malformation",
            question="Does the patient have an arteriovenous malformation (AVM)?",
            kind="contraindication",
            routes=ESKETAMINE,
            source=_SPRAVATO,
            finding="Arteriovenous malformation",
        )
    ),
    *_every_route(
        Criterion(
            code="intracerebral_haemorrhage",
            question="Has the patient ever had an intracerebral haemorrhage "
            "(bleeding in the brain)?",
            kind="contraindication",
            routes=ESKETAMINE,
            source=_SPRAVATO,
            finding="History of intracerebral haemorrhage",
        )
    ),
    Criterion(
        code="pre_eclampsia",
        question="Does the patient have pre-eclampsia or eclampsia?",
        kind="contraindication",
        routes=RACEMIC,
        source=_KETAMINE_LABEL,
        finding="Pre-eclampsia or eclampsia",
    ),
    Criterion(
        code="untreated_hyperthyroidism",
        question="Does the patient have untreated or inadequately treated hyperthyroidism?",
        kind="contraindication",
        routes=RACEMIC,
        source=_KETAMINE_LABEL,
        finding="Untreated hyperthyroidism",
    ),
    _HYPERTENSIVE_ENCEPHALOPATHY,
    replace(
        _HYPERTENSIVE_ENCEPHALOPATHY,
        kind="contraindication",
        routes=RACEMIC,
        source=_KETAMINE_LABEL + "; hypertensive encephalopathy not named in the label [check]",
        check=True,
    ),
    Criterion(
        code="psychosis",
        question="Does the patient have current or past psychosis (e.g. schizophrenia, "
        "psychotic depression, psychotic episodes)?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA + "; Spravato label 5.2: assess patients with psychosis first",
        help="Ketamine can worsen psychotic symptoms; include psychotic features of mood episodes.",
        finding="Current or past psychosis",
    ),
    Criterion(
        code="active_substance_use_disorder",
        question="Does the patient have an active substance use disorder?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
        help="Ketamine has misuse potential; ask about ketamine and other drugs and alcohol.",
        finding="Active substance use disorder",
    ),
    Criterion(
        code="uncontrolled_hypertension",
        question="Does the patient have uncontrolled hypertension?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
        # The ketamine hydrochloride label also contraindicates use where a significant
        # rise in blood pressure would be a serious hazard [check: not in the reference];
        # the prescriber weighs that at review.
        help="Known high blood pressure that is untreated or not at target.",
        finding="Uncontrolled hypertension",
    ),
    Criterion(
        code="cardiovascular_disease",
        question="Does the patient have significant cardiovascular disease (e.g. coronary "
        "disease, heart failure, arrhythmia, stroke)?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
        help="A rise in blood pressure and heart rate after dosing may be poorly tolerated.",
        finding="Significant cardiovascular disease",
    ),
    Criterion(
        code="raised_intracranial_pressure",
        question="Does the patient have raised intracranial pressure (e.g. a brain tumour, "
        "hydrocephalus, recent head injury)?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
        check=True,
        finding="Raised intracranial pressure",
    ),
    Criterion(
        code="raised_intraocular_pressure",
        question="Does the patient have raised intraocular pressure (e.g. glaucoma)?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
        check=True,
        finding="Raised intraocular pressure",
    ),
    Criterion(
        code="pregnancy",
        question="Is the patient pregnant, or could the patient be pregnant?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
        # The Spravato label also says esketamine is not recommended during pregnancy
        # (label 8.1) [check: not in the clinical reference].
        help="Answer yes if pregnancy is possible and not excluded.",
        finding="Pregnant or possibly pregnant",
    ),
    _ESKETAMINE_BREASTFEEDING,
    replace(
        _ESKETAMINE_BREASTFEEDING,
        routes=RACEMIC,
        source="by analogy with the esketamine label 8.2 [check]",
    ),
    *(c for label_item in _LABEL_CAUTIONS for c in _racemic_by_analogy(label_item)),
)


def _route_error(route: object) -> EligibilityInputError:
    return EligibilityInputError(
        "route", f"{route!r} is not a route; allowed routes are {', '.join(ROUTES)}"
    )


def criteria_for(route: str) -> tuple[Criterion, ...]:
    """The questions for a route, in form order (contraindications of the label first)."""
    if not isinstance(route, str) or route not in ROUTES:
        raise _route_error(route)
    return tuple(c for c in CRITERIA if route in c.routes)


def criterion(route: str, code: str) -> Criterion:
    """One route's criterion by code."""
    for c in criteria_for(route):
        if c.code == code:
            return c
    codes = ", ".join(c.code for c in criteria_for(route))
    raise EligibilityInputError(
        "code", f"{code!r} is not a criterion for {route}; allowed: {codes}"
    )


@dataclass(frozen=True)
class Reason:
    code: str
    kind: Kind
    message: str
    source: str = ""
    check: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "message": self.message,
            "source": self.source,
            "check": self.check,
        }


@dataclass(frozen=True)
class Assessment:
    route: str
    status: Status
    reasons: tuple[Reason, ...]

    @property
    def contraindications(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.kind == "contraindication")

    @property
    def cautions(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.kind == "caution")

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "route_label": ROUTES[self.route],
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "reasons": [r.as_dict() for r in self.reasons],
        }


def _check_range(field: str, value: object, bounds: tuple[int, int], unit: str) -> None:
    if value is None:
        return
    low, high = bounds
    allowed = f"a whole number from {low} to {high} {unit}"
    # bool is an int subclass; True is not an age.
    if isinstance(value, bool) or not isinstance(value, int):
        raise EligibilityInputError(field, f"{value!r} is not {allowed}")
    if not low <= value <= high:
        raise EligibilityInputError(field, f"{value} is out of range; allowed is {allowed}")


PregnancyTest = Literal["not_applicable", "negative", "positive", "not_done"]
PREGNANCY_TESTS: dict[str, str] = {
    "not_applicable": "Not applicable (cannot become pregnant)",
    "negative": "Negative",
    "positive": "Positive",
    "not_done": "Not done yet",
}


@dataclass(frozen=True)
class ScreeningFacts:
    """Measured facts that raise findings without a question. Validated on creation.

    `pregnancy_test`: for a person who could become pregnant, the result of the test at
    screening (None: not asked, e.g. an older screening). `alcohol_use`: current alcohol
    use, which raises no finding but an interaction warning (`interactions`)."""

    age_years: int | None = None
    sbp_mmhg: int | None = None
    dbp_mmhg: int | None = None
    pregnancy_test: PregnancyTest | None = None
    alcohol_use: bool | None = None

    def __post_init__(self) -> None:
        _check_range("age_years", self.age_years, AGE_RANGE, "years")
        _check_range("sbp_mmhg", self.sbp_mmhg, SBP_RANGE, "mmHg")
        _check_range("dbp_mmhg", self.dbp_mmhg, DBP_RANGE, "mmHg")
        if self.pregnancy_test is not None and self.pregnancy_test not in PREGNANCY_TESTS:
            raise EligibilityInputError(
                "pregnancy_test",
                f"{self.pregnancy_test!r} is not allowed; allowed: {', '.join(PREGNANCY_TESTS)}",
            )
        if self.alcohol_use is not None and not isinstance(self.alcohol_use, bool):
            raise EligibilityInputError(
                "alcohol_use", f"{self.alcohol_use!r} is not allowed; answer true or false"
            )
        if (
            self.sbp_mmhg is not None
            and self.dbp_mmhg is not None
            and self.sbp_mmhg <= self.dbp_mmhg
        ):
            # Almost always the two numbers swapped on entry.
            raise EligibilityInputError(
                "sbp_mmhg",
                f"systolic {self.sbp_mmhg} must be above diastolic {self.dbp_mmhg} "
                "(were they swapped?)",
            )

    @property
    def sbp_limit_mmhg(self) -> int:
        # Age unknown: the stricter under-65 limit.
        older = self.age_years is not None and self.age_years >= OLDER_AGE_YEARS
        return SBP_LIMIT_OLDER_MMHG if older else SBP_LIMIT_MMHG


def _bp_reason(facts: ScreeningFacts) -> Reason | None:
    sbp, dbp, limit = facts.sbp_mmhg, facts.dbp_mmhg, facts.sbp_limit_mmhg
    sbp_high = sbp is not None and sbp > limit
    dbp_high = dbp is not None and dbp > DBP_LIMIT_MMHG
    if not (sbp_high or dbp_high):
        return None
    if sbp is not None and dbp is not None:
        reading = f"{sbp}/{dbp} mmHg"
    elif sbp is not None:
        reading = f"SBP {sbp} mmHg"
    else:
        reading = f"DBP {dbp} mmHg"
    if facts.age_years is None:
        who = "; age not given, under-65 limit used"
    elif facts.age_years >= OLDER_AGE_YEARS:
        who = f", age {OLDER_AGE_YEARS} or over"
    else:
        who = f", under {OLDER_AGE_YEARS}"
    return Reason(
        code="bp_above_predose_threshold",
        kind="caution",
        message=(
            f"Blood pressure above the pre-dose threshold: {reading} "
            f"(limit {limit}/{DBP_LIMIT_MMHG}{who})"
        ),
        source="Esketamine label and phase 3 trials, pre-dose hold or review; "
        "clinic default for all routes",
    )


def _severe_bp_reason(route: str, facts: ScreeningFacts) -> Reason | None:
    """Racemic routes: a screening BP above 180/100 is uncontrolled hypertension in the
    ketamine labels' sense, a contraindication (esketamine: the pre-dose caution above)."""
    if route not in RACEMIC:
        return None
    sbp, dbp = facts.sbp_mmhg, facts.dbp_mmhg
    if not ((sbp is not None and sbp > SEVERE_SBP_MMHG)
            or (dbp is not None and dbp > SEVERE_DBP_MMHG)):
        return None
    reading = f"{sbp if sbp is not None else '?'}/{dbp if dbp is not None else '?'} mmHg"
    return Reason(
        code="bp_above_180_100",
        kind="contraindication",
        message=f"Uncontrolled hypertension: {reading} at screening is above "
        f"{SEVERE_SBP_MMHG}/{SEVERE_DBP_MMHG}: contraindicated",
        source="ketamine hydrochloride label: uncontrolled hypertension > 180/100 mmHg "
        "(clinical reference s.8)",
    )


def _pregnancy_test_reason(facts: ScreeningFacts) -> Reason | None:
    source = (
        "Spravato label 5.10 and 8.3 (embryo-fetal toxicity); a test before treatment "
        "is a [clinic default]"
    )
    if facts.pregnancy_test == "not_done":
        return Reason(
            code="pregnancy_test_not_done",
            kind="caution",
            message="Pregnancy test not done for a patient who could become pregnant: "
            "prescriber review",
            source=source,
        )
    if facts.pregnancy_test == "positive":
        return Reason(
            code="pregnancy_test_positive",
            kind="caution",
            message="Positive pregnancy test: prescriber review",
            source=source,
        )
    return None


def _age_reason(facts: ScreeningFacts) -> Reason | None:
    if facts.age_years is None or facts.age_years >= ADULT_AGE_YEARS:
        return None
    return Reason(
        code="under_18",
        kind="caution",
        message=f"Under 18 (age {facts.age_years}): protocols and the esketamine label "
        "cover adults",
        source="Spravato label: not approved under 18 [check]",
        check=True,
    )


def _validate_answers(route: str, answers: object, criteria: tuple[Criterion, ...]) -> None:
    if not isinstance(answers, Mapping):
        raise EligibilityInputError(
            "answers", "must be a mapping of criterion code to true or false"
        )
    codes = [c.code for c in criteria]
    unknown = [k for k in answers if k not in codes]
    if unknown:
        raise EligibilityInputError(
            "answers",
            f"unknown criterion code(s) {', '.join(repr(k) for k in unknown)} for route "
            f"{route}; allowed codes are {', '.join(codes)}",
        )
    missing = [c for c in codes if c not in answers]
    if missing:
        raise EligibilityInputError(
            "answers",
            f"missing {', '.join(missing)}; every criterion for route {route} "
            "must be answered true or false",
        )
    for code in codes:
        value = answers[code]
        if not isinstance(value, bool):
            raise EligibilityInputError(
                f"answers.{code}", f"{value!r} is not allowed; answer true or false"
            )


def _message(c: Criterion) -> str:
    verdict = "contraindicated" if c.kind == "contraindication" else "prescriber review"
    finding = c.finding or c.code.replace("_", " ").capitalize()
    return f"{finding}: {verdict}"


def assess(
    route: str, answers: Mapping[str, bool], facts: ScreeningFacts | None = None
) -> Assessment:
    """Screen one route. Every criterion of the route must be answered; see module doc."""
    criteria = criteria_for(route)
    _validate_answers(route, answers, criteria)
    if facts is not None and not isinstance(facts, ScreeningFacts):
        raise EligibilityInputError("facts", "must be ScreeningFacts or None")

    found = [
        Reason(code=c.code, kind=c.kind, message=_message(c), source=c.source, check=c.check)
        for c in criteria
        if answers[c.code]
    ]
    if facts is not None:
        found += [
            r
            for r in (
                _severe_bp_reason(route, facts),
                _bp_reason(facts),
                _pregnancy_test_reason(facts),
                _age_reason(facts),
            )
            if r is not None
        ]
    # Stable sort: contraindications first, each group in form order.
    reasons = tuple(sorted(found, key=lambda r: r.kind != "contraindication"))

    status: Status
    if any(r.kind == "contraindication" for r in reasons):
        status = "ineligible"
    elif reasons:
        status = "needs_review"
    else:
        status = "eligible"
    return Assessment(route=route, status=status, reasons=reasons)


def screening_expired(
    screened_on: date, today: date, valid_days: int = SCREENING_VALID_DAYS
) -> bool:
    """Whether a screening is too old to start a course on: valid through day
    `valid_days` after the day it was done, expired from the day after."""
    low, high = SCREENING_VALID_RANGE_DAYS
    if isinstance(valid_days, bool) or not isinstance(valid_days, int) or not (
        low <= valid_days <= high
    ):
        raise EligibilityInputError(
            "screening_valid_days", f"{valid_days!r} is not a whole number from {low} to {high}"
        )
    return (today - screened_on).days > valid_days
