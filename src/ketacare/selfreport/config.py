"""A clinic's self-report settings: product defaults (settings.py) overridden by the
clinic's settings JSON (keys `selfreport_*`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from ketacare.accounts.models import Clinic
from ketacare.clinical import answer_alerts, measurement_schedule
from ketacare.clinical.answer_alerts import (
    DEFAULT_DISSOCIATION_ABOVE,
    DEFAULT_PSYCHOSIS_RISE_POINTS,
)
from ketacare.clinical.outcomes import DEFAULT_WORSENED_PCT, OutcomeRules

# Clinic setting: the rise from baseline (%) that the outcome category calls worsened
# (issue #14 item 2; [clinic default] 25%, clinical reference s.2).
WORSENED_SETTING = "outcome_worsened_pct"


@dataclass(frozen=True)
class Config:
    rules: measurement_schedule.Rules
    rise_points: dict[str, int]
    escalate_minutes: int
    reminder_hours: int
    reminders: int
    grace_days: int
    crisis_text: str
    review_time: str
    phone: str
    # After submitting, the patient sees their own score history (issue #5 item 6).
    show_progress: bool = True
    # Clinical alerts of issue #14 item 11 ([clinic default]s in clinical/answer_alerts.py).
    psychosis_rise_points: int = DEFAULT_PSYCHOSIS_RISE_POINTS
    dissociation_above: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_DISSOCIATION_ABOVE))
    # How the staff self-report page and the progress letter classify an outcome.
    outcome_rules: OutcomeRules = field(default_factory=OutcomeRules)


def for_clinic(clinic: Clinic) -> Config:
    s = clinic.settings or {}
    return Config(
        rules=measurement_schedule.Rules.from_settings(s),
        rise_points={**answer_alerts.DEFAULT_RISE_POINTS,
                     **{k: int(v) for k, v in s.get("selfreport_rise_points", {}).items()}},
        escalate_minutes=int(s.get("selfreport_escalate_minutes",
                                   settings.KETACARE_SELFREPORT_ESCALATE_MINUTES)),
        reminder_hours=int(s.get("selfreport_reminder_hours",
                                 settings.KETACARE_SELFREPORT_REMINDER_HOURS)),
        reminders=int(s.get("selfreport_reminders", settings.KETACARE_SELFREPORT_REMINDERS)),
        grace_days=int(s.get("selfreport_grace_days", settings.KETACARE_SELFREPORT_GRACE_DAYS)),
        crisis_text=str(s.get("selfreport_crisis_text",
                              settings.KETACARE_SELFREPORT_CRISIS_TEXT)),
        review_time=str(s.get("selfreport_review_time",
                              settings.KETACARE_SELFREPORT_REVIEW_TIME)),
        phone=str(s.get("selfreport_phone") or s.get("phone") or ""),
        show_progress=bool(s.get("selfreport_show_progress", True)),
        psychosis_rise_points=int(s.get("selfreport_psychosis_rise_points",
                                        DEFAULT_PSYCHOSIS_RISE_POINTS)),
        dissociation_above={**DEFAULT_DISSOCIATION_ABOVE,
                            **{k: int(v) for k, v in
                               s.get("selfreport_dissociation_above", {}).items()}},
        outcome_rules=OutcomeRules(
            worsened_pct=int(s.get(WORSENED_SETTING, DEFAULT_WORSENED_PCT))),
    )
