"""When an answer needs a person: alert rules over a scored response. Pure Python.

- PHQ-9 item 9 above 0 -> `suicidal_ideation` (reference s.1: same-day assessment);
- ASQ positive -> `suicide_risk`, acute -> `suicide_risk_acute` too (reference s.1);
- a total rising from the patient's baseline by at least the clinic's amount ->
  `score_rise`. Product defaults [check]: +5 points on PHQ-9 and GAD-7, +10 on PCL-5 (the
  PCL-5 "clinically meaningful" change, NCPTSD); published reliable-change amounts differ
  by instrument, so each clinic sets its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ketacare.clinical.instruments import ScoreResult, get

# Instrument -> points above baseline that raise an alert (clinic default, [check]).
DEFAULT_RISE_POINTS: dict[str, int] = {"phq9": 5, "gad7": 5, "pcl5": 10, "qids-sr16": 5}
# Flags from the instrument library that open an alert of the same name.
ALERT_FLAGS = ("suicidal_ideation", "suicide_risk", "suicide_risk_acute")
CRISIS_FLAGS = frozenset(ALERT_FLAGS)


@dataclass(frozen=True)
class AlertSpec:
    kind: str
    message: str


def alerts_for(result: ScoreResult, baseline_total: int | None,
               rise_points: Mapping[str, int] | None = None) -> list[AlertSpec]:
    points = {**DEFAULT_RISE_POINTS, **(rise_points or {})}
    out = [AlertSpec(f.code, f.message) for f in result.flags if f.code in ALERT_FLAGS]
    threshold = points.get(result.instrument)
    if (threshold is not None and result.total is not None and baseline_total is not None
            and result.total - baseline_total >= threshold):
        name = get(result.instrument).short_name
        out.append(AlertSpec(
            "score_rise",
            f"{name} rose {result.total - baseline_total} points from baseline "
            f"{baseline_total} to {result.total} (clinic alert at +{threshold}).",
        ))
    return out


def needs_crisis_text(instrument_id: str, answers: Mapping[int, int]) -> bool:
    """Whether partial answers already call for the crisis text (shown as the patient
    answers, before submitting): PHQ-9 item 9 above 0, or any ASQ yes."""
    if instrument_id == "phq9":
        return answers.get(9, 0) > 0
    if instrument_id == "asq":
        return any(answers.get(n, 0) > 0 for n in (1, 2, 3, 4, 5))
    return False
