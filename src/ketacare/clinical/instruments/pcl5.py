"""PCL-5, the PTSD Checklist for DSM-5 (Weathers, Litz, Keane, Palmieri, Marx & Schnurr
2013, US National Center for PTSD; psychometrics Blevins et al. 2015, J Trauma Stress
28:489).

Public domain (US National Center for PTSD), so the full item text is bundled. 20 items,
0-4 each, past month, total 0-80. There are no official severity bands.

Scoring (clinical reference s.1):
- DSM-5 clusters B = items 1-5, C = 6-7, D = 8-14, E = 15-20, each reported as a sum;
- provisional DSM-5 diagnosis: an item counts as endorsed when rated >= 2 ("Moderately"),
  and the rule needs at least 1 B, 1 C, 2 D and 2 E items endorsed;
- probable PTSD: total >= a cutoff; the literature gives 31-33, the product default is 33
  and a clinic may change it (`score(..., cutoff=N)` or `with_cutoff(N)`).
Change of 5 points is reliable and 10 points clinically meaningful (NCPTSD guidance);
remission here is total < 33 with a drop of >= 10 points (clinical reference s.2).
LOINC panel 101697-1 and total 101698-9 from the reference; no item codes were given.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from .base import Instrument, Item, Remission, ScoreResult, scale, sum_score

# Product default (clinical reference s.1: probable PTSD at 31-33). Read at call time, so a
# clinic setting can replace it; prefer `with_cutoff` for a per-clinic instrument.
PROBABLE_PTSD_CUTOFF = 33
# An item rated "Moderately" or above counts as a symptom for the provisional diagnosis.
ENDORSED_MIN = 2

# Cluster -> (item numbers, endorsed items the provisional DSM-5 diagnosis needs).
CLUSTERS: dict[str, tuple[range, int]] = {
    "B": (range(1, 6), 1),  # intrusions
    "C": (range(6, 8), 1),  # avoidance
    "D": (range(8, 15), 2),  # negative alterations in cognitions and mood
    "E": (range(15, 21), 2),  # alterations in arousal and reactivity
}

BOTHER = scale(
    range(5), ("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")
)

_ITEMS = (
    ("Intrusive memories", "Repeated, disturbing, and unwanted memories of the stressful "
     "experience?"),
    ("Disturbing dreams", "Repeated, disturbing dreams of the stressful experience?"),
    ("Flashbacks", "Suddenly feeling or acting as if the stressful experience were actually "
     "happening again (as if you were actually back there reliving it)?"),
    ("Upset at reminders", "Feeling very upset when something reminded you of the stressful "
     "experience?"),
    ("Physical reactions to reminders", "Having strong physical reactions when something "
     "reminded you of the stressful experience (for example, heart pounding, trouble "
     "breathing, sweating)?"),
    ("Avoiding memories and feelings", "Avoiding memories, thoughts, or feelings related to "
     "the stressful experience?"),
    ("Avoiding external reminders", "Avoiding external reminders of the stressful experience "
     "(for example, people, places, conversations, activities, objects, or situations)?"),
    ("Trouble remembering", "Trouble remembering important parts of the stressful "
     "experience?"),
    ("Negative beliefs", "Having strong negative beliefs about yourself, other people, or the "
     "world (for example, having thoughts such as: I am bad, there is something seriously "
     "wrong with me, no one can be trusted, the world is completely dangerous)?"),
    ("Blame", "Blaming yourself or someone else for the stressful experience or what "
     "happened after it?"),
    ("Strong negative feelings", "Having strong negative feelings such as fear, horror, "
     "anger, guilt, or shame?"),
    ("Loss of interest", "Loss of interest in activities that you used to enjoy?"),
    ("Feeling distant", "Feeling distant or cut off from other people?"),
    ("Trouble with positive feelings", "Trouble experiencing positive feelings (for example, "
     "being unable to feel happiness or have loving feelings for people close to you)?"),
    ("Irritability or aggression", "Irritable behavior, angry outbursts, or acting "
     "aggressively?"),
    ("Risk taking", "Taking too many risks or doing things that could cause you harm?"),
    ("Hypervigilance", 'Being "superalert" or watchful or on guard?'),
    ("Startle", "Feeling jumpy or easily startled?"),
    ("Concentration", "Having difficulty concentrating?"),
    ("Sleep", "Trouble falling or staying asleep?"),
)


def cluster_sums(values: tuple[int, ...]) -> dict[str, int]:
    return {c: sum(values[n - 1] for n in items) for c, (items, _) in CLUSTERS.items()}


def endorsed_counts(values: tuple[int, ...]) -> dict[str, int]:
    """Items rated >= 2 per cluster (what the provisional diagnosis counts)."""
    return {
        c: sum(1 for n in items if values[n - 1] >= ENDORSED_MIN)
        for c, (items, _) in CLUSTERS.items()
    }


def provisional_ptsd(values: tuple[int, ...]) -> bool:
    endorsed = endorsed_counts(values)
    return all(endorsed[c] >= needed for c, (_, needed) in CLUSTERS.items())


def score(
    instrument: Instrument, values: tuple[int, ...], *, cutoff: int | None = None
) -> ScoreResult:
    threshold = PROBABLE_PTSD_CUTOFF if cutoff is None else cutoff
    return replace(
        sum_score(instrument, values),
        extras={
            "clusters": cluster_sums(values),
            # Items rated >= 2 per cluster: the calculator's "items >= 2" column.
            "endorsed": endorsed_counts(values),
            "provisional_ptsd": provisional_ptsd(values),
            "probable_ptsd": sum(values) >= threshold,  # all 20 items are scored
        },
    )


INSTRUMENT = Instrument(
    id="pcl5",
    name="PTSD Checklist for DSM-5",
    short_name="PCL-5",
    rater="self",
    items=tuple(
        Item(n, label, BOTHER, text=text) for n, (label, text) in enumerate(_ITEMS, start=1)
    ),
    recall_period="In the past month",
    instructions="Below is a list of problems that people sometimes have in response to a "
    "very stressful experience. Please read each problem carefully and then indicate how much "
    "you have been bothered by that problem in the past month. In the past month, how much "
    "were you bothered by:",
    license="US National Center for PTSD: public domain; full text bundled.",
    full_text_bundled=True,
    source="Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD "
    "Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013. Blevins CA, Weathers FW, "
    "Davis MT, Witte TK, Domino JL. J Trauma Stress 2015;28:489-498.",
    scorer=score,
    loinc_panel="101697-1",
    loinc_total="101698-9",
    remission=Remission(
        max_total=32,
        min_drop=10,
        source="PCL-5 below 33 and a drop of >= 10 points (clinical reference s.2)",
    ),
    clinical_range_min=33,  # clinical reference s.2
    check_notes=(
        "Probable PTSD cutoff: published values are 31-33; 33 is a product default that a "
        "clinic may change.",
        "No published proration rule for missing items was found [check]; a response with a "
        "missing item has no total.",
    ),
)


def with_cutoff(cutoff: int) -> Instrument:
    """The PCL-5 with a clinic's own probable-PTSD cutoff (published range 31-33)."""
    if not INSTRUMENT.min_total <= cutoff <= INSTRUMENT.max_total:
        raise ValueError(
            f"pcl5 probable PTSD cutoff {cutoff} is out of range; allowed values are "
            f"{INSTRUMENT.min_total} to {INSTRUMENT.max_total}"
        )
    return replace(INSTRUMENT, scorer=partial(score, cutoff=cutoff))
