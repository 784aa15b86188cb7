"""CADSS-6, the six-item short form of the CADSS (Rodrigues et al. 2021, J Affect Disord
282:160).

Items 1, 2, 6, 7, 15 and 22 of the 23-item CADSS - not its first six - chosen as the items
most sensitive to ketamine-induced dissociation; r = 0.91-0.95 against the full scale
(clinical reference s.1). 0-4 each, total 0-24, no bands. Same permission status as the
CADSS [check]: the labels are imported from `cadss` and keep the original item number.
"""

from __future__ import annotations

from . import cadss
from .base import Instrument, Item, numeric_scale, sum_score

CADSS_ITEMS = (1, 2, 6, 7, 15, 22)

INSTRUMENT = Instrument(
    id="cadss6",
    name="Clinician-Administered Dissociative States Scale, 6-item short form",
    short_name="CADSS-6",
    rater="clinician",
    items=tuple(
        Item(n, f"(CADSS {original}) {cadss.LABELS[original]}", numeric_scale(0, 4))
        for n, original in enumerate(CADSS_ITEMS, start=1)
    ),
    recall_period=cadss.INSTRUMENT.recall_period,
    instructions="Ask CADSS items 1, 2, 6, 7, 15 and 22 from your copy of the scale about the "
    "patient's state right now and enter 0 (not at all) to 4 (extremely).",
    license="As CADSS (Bremner 1998; permission unclear [check]): paraphrased labels only.",
    full_text_bundled=False,
    source="Rodrigues NB, McIntyre RS, Lipsitz O, et al. J Affect Disord 2021;282:160-164.",
    scorer=sum_score,
    check_notes=(
        "Same permission status as the CADSS [check]; labels are KetaCare paraphrases.",
        "CADSS item 22's label comes from the 23-item form and was not confirmed against a "
        "primary source [check].",
    ),
)
