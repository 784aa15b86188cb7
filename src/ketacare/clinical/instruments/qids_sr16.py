"""QIDS-SR16, Quick Inventory of Depressive Symptomatology, self-report (Rush et al. 2003,
Biol Psychiatry 54:573).

Copyright UT Southwestern; commercial use may need a license [check] (clinical reference
s.1). So we ship the scoring rule and short item labels only, with neutral 0-3 options:
the answer anchors are part of the copyrighted text. A licensed clinic can load the full
text. No LOINC codes were found (reference s.1): FHIR uses a local code system.

Scoring (clinical reference s.1): 16 items 0-3 fold into 9 DSM symptom domains:
sleep = max(items 1-4), mood = 5, appetite/weight = max(items 6-9), concentration = 10,
self-view = 11, suicidal ideation = 12, interest = 13, energy = 14,
psychomotor = max(items 15-16). Total = sum of the 9 domains, 0-27 - NOT the sum of the
16 items (which would run to 48). Bands none 0-5, mild 6-10, moderate 11-15,
severe 16-20, very_severe 21-27. Remission <= 5 (STAR*D); in clinical range from 11
(reference s.2).

Item 12 is the QIDS suicide item: any answer above 0 raises `suicidal_ideation` as the
clinic's safety net, whatever the total.
"""

from __future__ import annotations

from .base import (
    Band,
    Flag,
    Instrument,
    Item,
    Remission,
    ScoreResult,
    numeric_scale,
)

# Domain -> item numbers; a domain scores the highest of its items.
DOMAINS: dict[str, tuple[int, ...]] = {
    "sleep": (1, 2, 3, 4),
    "mood": (5,),
    "appetite_weight": (6, 7, 8, 9),
    "concentration": (10,),
    "self_view": (11,),
    "suicidal_ideation": (12,),
    "interest": (13,),
    "energy": (14,),
    "psychomotor": (15, 16),
}

SUICIDE_ITEM = 12

_LABELS = (
    "Falling asleep",
    "Sleep during the night",
    "Waking up too early",
    "Sleeping too much",
    "Feeling sad",
    "Decreased appetite",
    "Increased appetite",
    "Decreased weight (within the last two weeks)",
    "Increased weight (within the last two weeks)",
    "Concentration/decision making",
    "View of myself",
    "Thoughts of death or suicide",
    "General interest",
    "Energy level",
    "Feeling slowed down",
    "Feeling restless",
)

SUICIDAL_IDEATION = Flag(
    "suicidal_ideation",
    "Item 12 (thoughts of death or suicide) is above 0: assess suicide risk the same day.",
)


def domain_scores(values: tuple[int, ...]) -> dict[str, int]:
    return {name: max(values[n - 1] for n in items) for name, items in DOMAINS.items()}


def score(instrument: Instrument, values: tuple[int, ...]) -> ScoreResult:
    domains = domain_scores(values)
    total = sum(domains.values())
    return ScoreResult(
        instrument=instrument.id,
        total=total,
        min=instrument.min_total,
        max=instrument.max_total,
        band=instrument.band_for(total),
        flags=(SUICIDAL_IDEATION,) if values[SUICIDE_ITEM - 1] > 0 else (),
        extras={"domains": domains},
    )


INSTRUMENT = Instrument(
    id="qids-sr16",
    name="Quick Inventory of Depressive Symptomatology, self-report (16 items)",
    short_name="QIDS-SR16",
    rater="self",
    items=tuple(
        Item(n, label, numeric_scale(0, 3)) for n, label in enumerate(_LABELS, start=1)
    ),
    recall_period="In the past 7 days",
    instructions="Enter the option number (0-3) the patient chose on the licensed form for "
    "each item. The form asks for only one of items 6 and 7 and only one of items 8 and 9: "
    "enter 0 for the one not answered (the domain takes the higher of the two, so the total "
    "is unchanged).",
    license="Copyright UT Southwestern; commercial use may need a license [check]. Scoring "
    "and short item labels only; full text loadable by a licensed clinic.",
    full_text_bundled=False,
    source="Rush AJ, Trivedi MH, Ibrahim HM, et al. Biol Psychiatry 2003;54:573-583.",
    scorer=score,
    # The sum of the 9 domain maxima, not of the 16 items (which would run to 48).
    total_range=(0, 27),
    bands=(
        Band("none", 0, 5, "ok"),
        Band("mild", 6, 10, "low"),
        Band("moderate", 11, 15, "mid"),
        Band("severe", 16, 20, "high"),
        Band("very_severe", 21, 27, "critical"),
    ),
    remission=Remission(max_total=5, source="QIDS-SR16 <= 5 (STAR*D; clinical reference s.2)"),
    clinical_range_min=11,  # clinical reference s.2
    check_notes=(
        "License: QIDS-SR16 is copyright UT Southwestern and commercial use may need a "
        "license [check]; only scoring and short labels are bundled, with neutral 0-3 options.",
        "Suicidal-ideation flag at item 12 > 0 is a product safety default, not part of the "
        "published scoring.",
    ),
)
