"""ASQ, Ask Suicide-Screening Questions (NIMH; Horowitz et al. 2012, Arch Pediatr Adolesc
Med 166:1170).

A free NIMH resource, validated in youth and adults (clinical reference s.1), so the
questions are bundled. Asked by a clinician or answered by the patient.

Four yes/no questions; the acuity question (item 5) is asked only when any of 1-4 is
"yes". The result is a category, not a total (reference s.1; NIMH ASQ toolkit):
- `negative`: items 1-4 all "no";
- `positive_non_acute`: any of 1-4 "yes", item 5 "no" -> brief suicide safety assessment
  before the patient leaves;
- `positive_acute`: item 5 "yes" -> imminent risk: the patient must not leave; STAT full
  mental health evaluation.

Refusal (NIMH ASQ toolkit; clinical reference s.8): a patient who declines to answer any
of items 1-4 screens positive, and item 5 is then asked. Items 1-4 therefore have a third
option, "Declined to answer", stored as code 2 (typed `declined` on the command line); it
counts as a yes for the category, the flags and the item 5 rule. Item 5 has no such
option: it is the acuity question the positive screen needs answered.

`ScoreResult.total`, `min` and `max` are None: a screen has no score. No LOINC codes were
given in the reference.
"""

from __future__ import annotations

from .base import Flag, Instrument, InstrumentInputError, Item, Option, ScoreResult, scale

YES_NO = scale((0, 1), ("No", "Yes"))
DECLINED = 2  # stored code of "Declined to answer" (items 1-4 only)
SCREEN_OPTIONS = (*YES_NO, Option(DECLINED, "Declined to answer", word="declined"))
SCREEN_ITEMS = 4
ACUITY_ITEM = 5

_ITEMS = (
    ("Wished to be dead", "In the past few weeks, have you wished you were dead?"),
    (
        "Others better off if dead",
        "In the past few weeks, have you felt that you or your family would be better off "
        "if you were dead?",
    ),
    (
        "Thoughts of suicide (past week)",
        "In the past week, have you been having thoughts about killing yourself?",
    ),
    ("Past suicide attempt", "Have you ever tried to kill yourself?"),
)

SUICIDE_RISK = Flag(
    "suicide_risk",
    "Positive ASQ screen: a brief suicide safety assessment is needed before the patient "
    "leaves.",
)
SUICIDE_RISK_ACUTE = Flag(
    "suicide_risk_acute",
    "Acute positive ASQ (thoughts of killing themself right now): imminent risk. The patient "
    "must not leave; keep them in sight and arrange a STAT full mental health evaluation.",
)


def _check(instrument: Instrument, values: tuple[int, ...]) -> None:
    any_yes = any(values[:SCREEN_ITEMS])  # "declined" (2) counts as a yes
    has_acuity = len(values) > SCREEN_ITEMS
    if has_acuity and not any_yes:
        raise InstrumentInputError(
            instrument.id,
            "asked only when any of items 1-4 is yes; leave it out",
            ACUITY_ITEM,
        )
    if any_yes and not has_acuity:
        allowed = instrument.items[ACUITY_ITEM - 1].allowed_text
        raise InstrumentInputError(
            instrument.id,
            f"required when any of items 1-4 is yes; allowed values are {allowed}",
            ACUITY_ITEM,
        )


def score(instrument: Instrument, values: tuple[int, ...]) -> ScoreResult:
    flags: tuple[Flag, ...]
    if not any(values[:SCREEN_ITEMS]):
        category, flags = "negative", ()
    elif values[ACUITY_ITEM - 1] == 1:
        category, flags = "positive_acute", (SUICIDE_RISK, SUICIDE_RISK_ACUTE)
    else:
        category, flags = "positive_non_acute", (SUICIDE_RISK,)
    return ScoreResult(
        instrument=instrument.id,
        total=None,
        min=None,
        max=None,
        band=None,
        flags=flags,
        category=category,
    )


INSTRUMENT = Instrument(
    id="asq",
    name="Ask Suicide-Screening Questions",
    short_name="ASQ",
    rater="clinician_or_self",
    items=tuple(
        Item(n, label, SCREEN_OPTIONS, text=text)
        for n, (label, text) in enumerate(_ITEMS, start=1)
    )
    + (
        Item(
            ACUITY_ITEM,
            "Thoughts of suicide right now (acuity)",
            YES_NO,
            text="Are you having thoughts of killing yourself right now?",
            optional=True,
        ),
    ),
    recall_period=None,  # each question carries its own time frame
    instructions="Ask questions 1-4. If the answer to any of them is yes, or the patient "
    "declines to answer one, also ask question 5. For a yes to question 4, ask how and "
    "when; for a yes to question 5, ask the patient to describe.",
    license="NIMH free resource (ASQ toolkit); questions bundled.",
    full_text_bundled=True,
    source="Horowitz LM, Bridge JA, Teach SJ, et al. Arch Pediatr Adolesc Med "
    "2012;166:1170-1176. NIMH ASQ Suicide Risk Screening Toolkit.",
    scorer=score,
    has_total=False,
    cross_check=_check,
)
