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
  esketamine, ketamine or an excipient. Absolute for `esketamine_nasal`.
- Ketamine hydrochloride (racemic) label: known hypersensitivity. Absolute for racemic routes.
- The vascular and haemorrhage items are label items for esketamine only; for racemic
  routes they are cautions *by analogy* [check].
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
from typing import Any, Literal

ROUTES: dict[str, str] = {
    "iv": "IV racemic ketamine infusion",
    "im": "IM racemic ketamine injection",
    "sc": "SC racemic ketamine injection",
    "oral": "Oral racemic ketamine",
    "sublingual": "Sublingual racemic ketamine",
    "esketamine_nasal": "Esketamine nasal spray (Spravato)",
}

RACEMIC: frozenset[str] = frozenset({"iv", "im", "sc", "oral", "sublingual"})
ESKETAMINE: frozenset[str] = frozenset({"esketamine_nasal"})
ALL_ROUTES: frozenset[str] = frozenset(ROUTES)

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
# Spravato is not approved under 18, and the reference's protocols come from adult
# studies [check: age limit not in the clinical reference].
ADULT_AGE_YEARS = 18

AGE_RANGE = (0, 120)
SBP_RANGE = (50, 300)
DBP_RANGE = (20, 200)

_SPRAVATO = "Spravato label (absolute)"
_ANALOGY = "Spravato label item; for racemic ketamine by analogy with the esketamine label [check]"
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


def _racemic_by_analogy(label_item: Criterion) -> tuple[Criterion, Criterion]:
    """An esketamine label contraindication and its racemic counterpart, a caution [check]."""
    return label_item, replace(
        label_item, kind="caution", routes=RACEMIC, source=_ANALOGY, check=True
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
    *_racemic_by_analogy(
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
    *_racemic_by_analogy(
        Criterion(
            code="arteriovenous_malformation",
            question="Does the patient have an arteriovenous malformation (AVM)?",
            kind="contraindication",
            routes=ESKETAMINE,
            source=_SPRAVATO,
            finding="Arteriovenous malformation",
        )
    ),
    *_racemic_by_analogy(
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
        code="psychosis",
        question="Does the patient have current or past psychosis (e.g. schizophrenia, "
        "psychotic depression, psychotic episodes)?",
        kind="caution",
        routes=ALL_ROUTES,
        source=_APA,
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


@dataclass(frozen=True)
class ScreeningFacts:
    """Measured facts that raise findings without a question. Validated on creation."""

    age_years: int | None = None
    sbp_mmhg: int | None = None
    dbp_mmhg: int | None = None

    def __post_init__(self) -> None:
        _check_range("age_years", self.age_years, AGE_RANGE, "years")
        _check_range("sbp_mmhg", self.sbp_mmhg, SBP_RANGE, "mmHg")
        _check_range("dbp_mmhg", self.dbp_mmhg, DBP_RANGE, "mmHg")
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
        found += [r for r in (_bp_reason(facts), _age_reason(facts)) if r is not None]
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
