"""CADSS, Clinician-Administered Dissociative States Scale, 23 subjective items
(Bremner et al. 1998, J Trauma Stress 11:125).

Clinician-administered at a point in time (during or after a dose): 23 subjective items,
0-4 each, total 0-92, no severity bands (clinical reference s.1). Permission to reproduce
is unclear [check], so only short labels are bundled - paraphrases written for KetaCare,
not the scale's wording - and the clinician enters 0-4 from the clinic's own copy. No
LOINC codes were found: FHIR uses a local code system. The CADSS-6 short form
(`cadss6`) reuses items 1, 2, 6, 7, 15 and 22 of this list.
"""

from __future__ import annotations

from .base import Instrument, Item, numeric_scale, sum_score

# Short paraphrases, item number -> label. Items 1-19 follow the subjective items of
# Bremner 1998 (Table 1); items 20-23 come from the later 23-item form and their topics
# are unconfirmed [check].
LABELS: dict[int, str] = {
    1: "Time slowed down",
    2: "Surroundings feel unreal or dreamlike",
    3: "Separated from events, as if in a film",
    4: "Viewing things from outside the body",
    5: "Watching as an onlooker",
    6: "Disconnected from own body",
    7: "Body size or shape feels changed",
    8: "People seem lifeless or mechanical",
    9: "Objects look different than expected",
    10: "Colours seem duller",
    11: "Tunnel or wide-angle vision",
    12: "Experience lasting longer than expected",
    13: "Events rushing by very fast",
    14: "Unexplained happenings",
    15: "Spacing out, losing track of events",
    16: "Sounds fading or much louder",
    17: "Unusually vivid, heightened reality",
    18: "World seen as through a fog",
    19: "Colours seem brighter",
    20: "Unsure of own identity",
    21: "Feeling split into more than one self",
    22: "Gaps in memory",
    23: "Lost track of time or place",
}

ITEM_COUNT = 23

INSTRUMENT = Instrument(
    id="cadss",
    name="Clinician-Administered Dissociative States Scale (23 subjective items)",
    short_name="CADSS",
    rater="clinician",
    items=tuple(Item(n, LABELS[n], numeric_scale(0, 4)) for n in range(1, ITEM_COUNT + 1)),
    recall_period="At the time of rating (current state)",
    instructions="Ask each question from your copy of the scale about the patient's state "
    "right now and enter 0 (not at all) to 4 (extremely).",
    license="Bremner 1998; permission unclear [check]: paraphrased labels only, no item text "
    "or anchors.",
    full_text_bundled=False,
    source="Bremner JD, Krystal JH, Putnam FW, et al. J Trauma Stress 1998;11:125-136.",
    scorer=sum_score,
    check_notes=(
        "Permission to reproduce the CADSS is unclear [check]; labels are KetaCare "
        "paraphrases, not the scale's wording.",
        "Labels of items 20-23 (23-item form) were not confirmed against a primary source "
        "[check]; compare with the clinic's copy before use.",
    ),
)
