"""Self-report histories for the demo clinic (issue #5 item 7): patients in treatment or
maintenance get a questionnaire every week or two over the last months, with scores that
fall the way the real-world series describe (about half respond; clinical reference s.6),
so the trajectory charts and analytics have something to show. Idempotent."""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, time, timedelta

from ketacare.accounts.models import Clinic
from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import get
from ketacare.patients.models import Patient
from ketacare.treatment import demo as treatment_demo

from . import actions
from .models import Alert, ReportRequest, Response, Source

SEED = 2026
# The first PHQ-9 patient answers "several days" to item 9 in this week: one open alert.
ALERT_WEEK = 2
# condition -> (instrument, baseline range)
BASELINE = {"depression": ("phq9", (14, 24)), "anxiety": ("gad7", (11, 19)),
            "ptsd": ("pcl5", (38, 62))}


def _answers(instrument_id: str, total: int, rng: random.Random) -> list[int]:
    """Item answers that add up to `total`, spread at random. PHQ-9 item 9 stays 0 so the
    demo's alert inbox holds only the alert the demo means to show (ALERT_WEEK)."""
    scored = [i for i in get(instrument_id).items if i.scored and not i.optional]
    values = [0] * len(scored)
    open_items = [n for n in range(len(scored)) if not (instrument_id == "phq9" and n == 8)]
    for _ in range(min(total, sum(scored[n].max for n in open_items))):
        n = rng.choice([n for n in open_items if values[n] < scored[n].max])
        values[n] += 1
    return values


def populate(clinic: Clinic, prescriber: Staff | None = None, *, patients: int = 30) -> int:
    """Back-dated responses for up to `patients` patients; returns how many were added."""
    if Response.objects.filter(patient__clinic=clinic).exists():
        return 0
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
    today = clinic.today()
    chosen = Patient.objects.filter(clinic=clinic, status__in=["active", "maintenance"],
                                    primary_condition__in=list(BASELINE)).order_by("mrn")
    added = 0
    alerted = False
    for patient in chosen[:patients]:
        instrument_id, (low, high) = BASELINE[patient.primary_condition]
        instrument = get(instrument_id)
        baseline = rng.randint(low, high)
        responder = rng.random() < 0.55
        final = baseline * (rng.uniform(0.15, 0.45) if responder else rng.uniform(0.7, 1.0))
        weeks = rng.randint(6, 12)
        if patient.courses.filter(start_date__gte=today).exists():
            # The session-day demo starts this patient's first course today: only the
            # baseline questionnaires of the last two weeks, no change before treatment.
            weeks, final = 2, baseline
        elif prescriber is not None and not patient.courses.exists():
            # The series began two days after the baseline questionnaire.
            first = today - timedelta(days=7 * weeks) + timedelta(days=2)
            treatment_demo.past_course(patient, datetime.combine(
                first, time(9, 30), tzinfo=zoneinfo.ZoneInfo(clinic.time_zone)), prescriber)
        for week in range(weeks):
            fraction = week / max(1, weeks - 1)
            total = round(baseline + (final - baseline) * (1 - (1 - fraction) ** 2)
                          + rng.gauss(0, 1.2))
            total = max(instrument.min_total, min(instrument.max_total, total))
            day = today - timedelta(days=7 * (weeks - week))
            req = actions.new_request(clinic, patient, instrument_id, kind="manual", key="",
                                       opens=day, closes=day, source=Source.MANUAL)
            values = _answers(instrument_id, total, rng)
            if not alerted and instrument_id == "phq9" and week == ALERT_WEEK and total > 0:
                values = _answers(instrument_id, total - 1, rng)
                values[8] = 1  # "several days": raises the item-9 alert a clinician must act on
                alerted = True
            raw = {f"item_{n}": v for n, v in enumerate(values, start=1)}
            actions.submit(req, raw)
            when = datetime.combine(day, time(9 + rng.randint(0, 9), rng.randint(0, 59)),
                                    tzinfo=zoneinfo.ZoneInfo(clinic.time_zone))
            # Back-date what the demo pretends happened weeks ago.
            Response.objects.filter(request=req).update(submitted_at=when)
            ReportRequest.objects.filter(pk=req.pk).update(completed_at=when, sent_at=when)
            Alert.objects.filter(response__request=req).update(created_at=when)
            added += 1
    return added
