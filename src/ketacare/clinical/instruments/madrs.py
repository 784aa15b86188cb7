"""MADRS, Montgomery-Asberg Depression Rating Scale (Montgomery & Asberg 1979, Br J
Psychiatry 134:382).

Clinician-rated: 10 items 0-6, total 0-60. License status unclear [check] (clinical
reference s.1), so only short item labels are bundled and the clinician enters a number;
the anchor descriptions stay in the clinic's own copy. No LOINC codes were found: FHIR
uses a local code system.

Bands normal 0-6, mild 7-19, moderate 20-34, severe 35-60 (Snaith et al. 1986, Br J
Psychiatry 148:599). Remission <= 10 (clinical reference s.2); the esketamine trials used
<= 12 (e.g. TRANSFORM-2, Popova 2019), available as `REMISSION_ESKETAMINE_TRIALS` and as
`OutcomeRules.remission_max_total`. In clinical range from 20 (reference s.2).

Flag: item 10 (suicidal thoughts) >= 2 raises `suicidal_ideation`. That threshold is a
product default [check], not a published rule; a clinic may change
`SUICIDAL_THOUGHTS_FLAG_MIN`.
"""

from __future__ import annotations

from dataclasses import replace

from .base import Band, Flag, Instrument, Item, Remission, ScoreResult, numeric_scale, sum_score

SUICIDE_ITEM = 10
# Product default [check]; read at call time so a clinic setting can replace it.
SUICIDAL_THOUGHTS_FLAG_MIN = 2

_LABELS = (
    "Apparent sadness",
    "Reported sadness",
    "Inner tension",
    "Reduced sleep",
    "Reduced appetite",
    "Concentration difficulties",
    "Lassitude",
    "Inability to feel",
    "Pessimistic thoughts",
    "Suicidal thoughts",
)

REMISSION_ESKETAMINE_TRIALS = Remission(
    max_total=12, source="MADRS <= 12 as in the esketamine trials (clinical reference s.2, s.6)"
)


def suicidal_ideation_flag(threshold: int) -> Flag:
    return Flag(
        "suicidal_ideation",
        f"Item 10 (suicidal thoughts) is {threshold} or more: assess suicide risk the same "
        "day. Clinic default threshold [check], not a published MADRS rule.",
    )


def score(
    instrument: Instrument, values: tuple[int, ...], *, flag_min: int | None = None
) -> ScoreResult:
    threshold = SUICIDAL_THOUGHTS_FLAG_MIN if flag_min is None else flag_min
    flags = (suicidal_ideation_flag(threshold),) if values[SUICIDE_ITEM - 1] >= threshold else ()
    return replace(sum_score(instrument, values), flags=flags)


INSTRUMENT = Instrument(
    id="madrs",
    name="Montgomery-Asberg Depression Rating Scale",
    short_name="MADRS",
    rater="clinician",
    items=tuple(
        Item(n, label, numeric_scale(0, 6)) for n, label in enumerate(_LABELS, start=1)
    ),
    # The reference gives no recall period; the rating covers the interview and the time
    # frame the clinic's protocol sets.
    recall_period=None,
    instructions="Rate each item 0-6 from the interview, using the anchor descriptions in "
    "your licensed copy of the scale (anchors are defined at 0, 2, 4 and 6; odd numbers fall "
    "between them).",
    license="Status unclear [check]: short labels bundled; anchors entered by the clinician "
    "from the clinic's own copy.",
    full_text_bundled=False,
    source="Montgomery SA, Asberg M. Br J Psychiatry 1979;134:382-389. Bands: Snaith RP, "
    "Harrop FM, Newby DA, Teale C. Br J Psychiatry 1986;148:599-601.",
    scorer=score,
    bands=(
        Band("normal", 0, 6, "ok"),
        Band("mild", 7, 19, "low"),
        Band("moderate", 20, 34, "mid"),
        Band("severe", 35, 60, "high"),
    ),
    remission=Remission(
        max_total=10,
        source="MADRS <= 10 (clinical reference s.2); option <= 12 as in the esketamine "
        "trials",
    ),
    clinical_range_min=20,  # clinical reference s.2
    check_notes=(
        "License status of the MADRS is unclear [check]; only short item labels are bundled.",
        "Suicidal-ideation flag at item 10 >= 2 is a product default [check], not a "
        "published threshold.",
    ),
)
