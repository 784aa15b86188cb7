"""BPRS positive-symptom subscale (the four psychosis items of the Brief Psychiatric Rating
Scale, Overall & Gorham 1962, Psychol Rep 10:799).

Clinician-rated: conceptual disorganisation, hallucinatory behaviour, suspiciousness and
unusual thought content, each 1-7, total 4-28, no bands (clinical reference s.1). Used in
ketamine trials to watch for treatment-emergent psychotic symptoms. License status
[check], so the clinician enters 1-7 from the clinic's own copy and no anchor text is
bundled. The floor is 4, not 0: `outcomes` measures change from the floor.
"""

from __future__ import annotations

from .base import Instrument, Item, numeric_scale, sum_score

_LABELS = (
    "Conceptual disorganisation",
    "Hallucinatory behaviour",
    "Suspiciousness",
    "Unusual thought content",
)

INSTRUMENT = Instrument(
    id="bprs-positive",
    name="Brief Psychiatric Rating Scale, positive-symptom subscale",
    short_name="BPRS+",
    rater="clinician",
    items=tuple(
        Item(n, label, numeric_scale(1, 7)) for n, label in enumerate(_LABELS, start=1)
    ),
    recall_period=None,  # the reference gives none; rated from the current interview
    instructions="Rate each item 1 (not present) to 7 (extremely severe) using the anchors in "
    "your copy of the BPRS.",
    license="License status [check]: item names only; anchors entered from the clinic's copy.",
    full_text_bundled=False,
    source="Overall JE, Gorham DR. The Brief Psychiatric Rating Scale. Psychol Rep "
    "1962;10:799-812.",
    scorer=sum_score,
    check_notes=(
        "License status of the BPRS is unconfirmed [check]; only item names are bundled.",
    ),
)
