"""When a self-report answer needs a person: alert rules over a scored response. Pure
Python; the selfreport app raises the alerts these rules name.

- PHQ-9 item 9 or QIDS-SR16 item 12 above 0 -> `suicidal_ideation` (reference s.1:
  same-day assessment; the QIDS flag is the instrument module's safety default);
- ASQ positive (a "declined" item counts as yes, NIMH toolkit) -> `suicide_risk`, acute ->
  `suicide_risk_acute` too (reference s.1, s.8);
- a total rising from the patient's baseline by at least the clinic's amount ->
  `score_rise`. Product defaults [check]: +5 points on PHQ-9 and GAD-7, +10 on PCL-5 (the
  PCL-5 "clinically meaningful" change, NCPTSD); published reliable-change amounts differ
  by instrument, so each clinic sets its own;
- BPRS positive subscale rising from baseline by >= 3 points -> `psychotic_symptoms`
  (treatment-emergent psychotic symptoms, issue #14 item 11). [clinic default]: no
  published cut-off for a clinically relevant rise was found; clinic setting
  `selfreport_psychosis_rise_points`;
- CADSS (23 items) or CADSS-6 total above 4 -> `dissociation`. [clinic default]: no CADSS
  cut-off discriminates dissociation well (post hoc analysis of esketamine's phase 3
  safety study, Int J Neuropsychopharmacol 2023;26:198), so the threshold is the clinic's;
  clinic setting `selfreport_dissociation_above` ({"cadss": N, "cadss6": N}).

A rise needs a valid baseline (clinical.baseline); without one no rise alert is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ketacare.clinical.instruments import ScoreResult, get, qids_sr16

# Instrument -> points above baseline that raise an alert (clinic default, [check]).
DEFAULT_RISE_POINTS: dict[str, int] = {"phq9": 5, "gad7": 5, "pcl5": 10, "qids-sr16": 5}
# Points above baseline on the BPRS positive subscale (4-28) that raise
# `psychotic_symptoms` [clinic default].
DEFAULT_PSYCHOSIS_RISE_POINTS = 3
PSYCHOSIS_INSTRUMENT = "bprs-positive"
# CADSS totals above which `dissociation` is raised [clinic default].
DEFAULT_DISSOCIATION_ABOVE: dict[str, int] = {"cadss": 4, "cadss6": 4}
# Flags from the instrument library that open an alert of the same name.
ALERT_FLAGS = ("suicidal_ideation", "suicide_risk", "suicide_risk_acute")
CRISIS_FLAGS = frozenset(ALERT_FLAGS)
# Instrument -> its suicide item, whose answer above 0 shows the crisis text at once.
SUICIDE_ITEMS = {"phq9": 9, "qids-sr16": qids_sr16.SUICIDE_ITEM}


@dataclass(frozen=True)
class AlertSpec:
    kind: str
    message: str


def alerts_for(result: ScoreResult, baseline_total: int | None,
               rise_points: Mapping[str, int] | None = None, *,
               psychosis_rise_points: int | None = None,
               dissociation_above: Mapping[str, int] | None = None) -> list[AlertSpec]:
    points = {**DEFAULT_RISE_POINTS, **(rise_points or {})}
    out = [AlertSpec(f.code, f.message) for f in result.flags if f.code in ALERT_FLAGS]
    total, name = result.total, get(result.instrument).short_name
    if total is None:
        return out
    rise = None if baseline_total is None else total - baseline_total
    threshold = points.get(result.instrument)
    if threshold is not None and rise is not None and rise >= threshold:
        out.append(AlertSpec(
            "score_rise",
            f"{name} rose {rise} points from baseline "
            f"{baseline_total} to {total} (clinic alert at +{threshold}).",
        ))
    psychosis = (DEFAULT_PSYCHOSIS_RISE_POINTS if psychosis_rise_points is None
                 else psychosis_rise_points)
    if result.instrument == PSYCHOSIS_INSTRUMENT and rise is not None and rise >= psychosis:
        out.append(AlertSpec(
            "psychotic_symptoms",
            f"{name} rose {rise} points from baseline {baseline_total} to {total} (clinic "
            f"alert at +{psychosis}): possible treatment-emergent psychotic symptoms; review "
            "before the next dose.",
        ))
    above = {**DEFAULT_DISSOCIATION_ABOVE, **(dissociation_above or {})}.get(result.instrument)
    if above is not None and total > above:
        out.append(AlertSpec(
            "dissociation",
            f"{name} total {total} is above the clinic threshold of {above}: dissociation "
            "outside the dosing session; review before the next dose.",
        ))
    return out


def needs_crisis_text(instrument_id: str, answers: Mapping[int, int]) -> bool:
    """Whether partial answers already call for the crisis text (shown as the patient
    answers, before submitting): PHQ-9 item 9 or QIDS-SR16 item 12 above 0, or any ASQ
    yes (or "declined", code 2)."""
    item = SUICIDE_ITEMS.get(instrument_id)
    if item is not None:
        return answers.get(item, 0) > 0
    if instrument_id == "asq":
        return any(answers.get(n, 0) > 0 for n in (1, 2, 3, 4, 5))
    return False
