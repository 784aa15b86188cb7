"""Session schedules for a course (issue 4, item 3): generate, move by hand, adherence.

A schedule follows the protocol's `ScheduleRule` (see `protocols.Phase`) on the weekdays
chosen for the patient (0 = Monday .. 6 = Sunday):
- the first session is on the first chosen weekday on or after `start`;
- course week 1 is the seven days from the first session, week 2 the next seven, and so
  on (the esketamine label counts weeks from the first dose);
- in an active week a phase uses as many of the chosen weekdays as it allows, in course
  week order (twice weekly on Mon/Thu, then weekly on the first of them);
- after the first phase, a phase every n weeks starts n weeks after the previous phase
  (esketamine week 9 onwards every 2 weeks: weeks 10, 12, ...);
- a count phase with a window (IV induction: 6 sessions within 12-21 days, first to last
  inclusive) is refused with a `ScheduleError` when the chosen weekdays cannot fit it.

Holidays and other changes are made by hand with `move`, which keeps the order of
sessions; a moved session may fall on any weekday.

Warnings a prescriber may override with a reason (`plan_warnings`, issue #14 item 9):
- two induction sessions on consecutive calendar days. [clinic default]: the published
  schedules space induction doses (IV: Mon/Wed/Fri or twice weekly, Phillips 2019;
  esketamine twice weekly in weeks 1-4, label), none on consecutive days;
- the patient already has an active course (a second course would double the schedule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from .protocols import Phase, PhaseName, Protocol

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_SESSIONS = 500
MAX_WEEKS = 520


class ScheduleError(ValueError):
    """A schedule that cannot be made. `str()` is one line naming the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class PlannedSession:
    number: int  # 1-based, in date order
    date: dt.date  # `dt.`: the field name shadows the type in the class body
    phase: PhaseName
    label: str
    week: int  # course week, 1 = the seven days from the first session
    moved_from: dt.date | None = None  # the generated date, once moved

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "date": self.date.isoformat(),
            "phase": self.phase,
            "label": self.label,
            "week": self.week,
            "moved_from": self.moved_from.isoformat() if self.moved_from else None,
        }


def generate(
    protocol: Protocol,
    start: date,
    weekdays: frozenset[int],
    *,
    sessions: int | None = None,
    through_week: int | None = None,
    every_weeks: int | None = None,
) -> list[PlannedSession]:
    """Plan a course's sessions on `weekdays`, which must hold as many days as the
    protocol's busiest phase needs (`ScheduleRule.weekdays_range`: IV induction 2-3,
    esketamine exactly 2, weekly maintenance 1).

    By default the plan runs to the end of the protocol's phases, or to the rule's
    `default_through_week` when the last phase is open-ended (esketamine: week 12).
    `sessions` plans exactly that many (the last phase continues if needed);
    `through_week` stops after that course week; with both, whichever comes first.
    `every_weeks` picks the interval of a phase that offers a choice (esketamine week 9
    onwards: 1 or 2).
    """
    rule = protocol.schedule
    first = _first_day(start, weekdays, rule.weekdays_range, protocol.id)
    if sessions is not None:
        _whole("sessions", sessions, 1, MAX_SESSIONS)
    if through_week is not None:
        _whole("through_week", through_week, 1, MAX_WEEKS)
    choices = {n for p in rule.phases if len(p.every_weeks) > 1 for n in p.every_weeks}
    if every_weeks is not None:
        if not choices:
            raise ScheduleError(
                "every_weeks", f"protocol {protocol.id} has no phase with a choice of interval"
            )
        if every_weeks not in choices:
            raise ScheduleError(
                "every_weeks",
                f"{every_weeks!r} is not allowed; allowed: {', '.join(map(str, sorted(choices)))}",
            )
    if sessions is None and through_week is None and rule.phases[-1].open_ended:
        through_week = rule.default_through_week

    offsets = sorted((d - first.weekday()) % 7 for d in weekdays)
    raw: list[tuple[int, Phase, int, date]] = []
    for item in _sessions(rule.phases, first, offsets, every_weeks, sessions is not None):
        if through_week is not None and item[2] > through_week:
            break
        if sessions is not None and len(raw) >= sessions:
            break
        raw.append(item)
    _check_windows(protocol, raw, weekdays)
    return _labelled(raw)


@dataclass(frozen=True)
class PlanWarning:
    code: str  # "consecutive_induction_days" | "active_course"
    message: str


def plan_warnings(
    planned: Sequence[PlannedSession], *, active_courses: Sequence[str] = ()
) -> list[PlanWarning]:
    """What a prescriber must confirm before this plan is used; `active_courses` names
    the patient's courses that are still active."""
    out = []
    induction = [s for s in planned if s.phase == "induction"]
    pairs = [(a, b) for a, b in zip(induction, induction[1:], strict=False)
             if (b.date - a.date).days == 1]
    if pairs:
        listed = "; ".join(f"sessions {a.number} and {b.number} ({a.date}, {b.date})"
                           for a, b in pairs)
        out.append(PlanWarning(
            "consecutive_induction_days",
            f"Induction doses on consecutive days: {listed}. Published induction schedules "
            "leave at least a day between doses."))
    if active_courses:
        out.append(PlanWarning(
            "active_course",
            f"The patient already has an active course: {', '.join(active_courses)}. Stop "
            "or complete it first, or say why both are needed."))
    return out


def move(planned: Sequence[PlannedSession], number: int, new_date: date) -> list[PlannedSession]:
    """A new list with session `number` on `new_date`; the order of sessions is kept."""
    index = next((i for i, s in enumerate(planned) if s.number == number), None)
    if index is None:
        known = f"sessions are 1-{len(planned)}" if planned else "there are no sessions"
        raise ScheduleError("number", f"no session {number!r}; {known}")
    if isinstance(new_date, datetime) or not isinstance(new_date, date):
        raise ScheduleError("new_date", f"{new_date!r} is not a date")
    session = planned[index]
    if new_date == session.date:
        return list(planned)
    for other in planned:
        if other.number != number and other.date == new_date:
            raise ScheduleError(
                "new_date", f"{new_date.isoformat()} is the same day as session {other.number}"
            )
    if index > 0 and new_date < planned[index - 1].date:
        prev = planned[index - 1]
        raise ScheduleError(
            "new_date",
            f"{new_date.isoformat()} is before session {prev.number} on {prev.date.isoformat()}",
        )
    if index + 1 < len(planned) and new_date > planned[index + 1].date:
        nxt = planned[index + 1]
        raise ScheduleError(
            "new_date",
            f"{new_date.isoformat()} is after session {nxt.number} on {nxt.date.isoformat()}; "
            "move that session first",
        )
    moved = replace(session, date=new_date, moved_from=session.moved_from or session.date)
    return [*planned[:index], moved, *planned[index + 1 :]]


@dataclass(frozen=True)
class Adherence:
    """Planned vs done. `attended_pct`: done of the sessions whose outcome is known and
    not cancelled (done + missed); `completed_pct`: done of all planned sessions not
    cancelled. Cancelled sessions (by the clinic, or rescheduled) count against neither."""

    planned: int
    done: int
    missed: int
    cancelled: int
    pending: int  # no outcome yet
    overdue: int  # pending and dated before `today` (0 when today is not given)
    attended_pct: float | None
    completed_pct: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "done": self.done,
            "missed": self.missed,
            "cancelled": self.cancelled,
            "pending": self.pending,
            "overdue": self.overdue,
            "attended_pct": self.attended_pct,
            "completed_pct": self.completed_pct,
        }


def adherence(
    planned_dates: Sequence[date],
    done_dates: Iterable[date],
    missed: Iterable[date],
    cancelled: Iterable[date],
    *,
    today: date | None = None,
) -> Adherence:
    """Summary of a course's sessions; every outcome date must be a planned date (moved
    sessions count at their new date) and have one outcome only."""
    plan = list(planned_dates)
    if len(set(plan)) != len(plan):
        raise ScheduleError("planned_dates", "a date appears twice; one session a day")
    seen: dict[date, str] = {}
    counts: dict[str, int] = {}
    for name, dates in (("done_dates", done_dates), ("missed", missed), ("cancelled", cancelled)):
        counts[name] = 0
        for d in dates:
            if d not in plan:
                raise ScheduleError(name, f"{d.isoformat()} is not a planned session date")
            if d in seen:
                raise ScheduleError(name, f"{d.isoformat()} is already in {seen[d]}")
            seen[d] = name
            counts[name] += 1
    done, miss, cancel = counts["done_dates"], counts["missed"], counts["cancelled"]
    open_dates = [d for d in plan if d not in seen]
    overdue = sum(1 for d in open_dates if today is not None and d < today)
    return Adherence(
        planned=len(plan),
        done=done,
        missed=miss,
        cancelled=cancel,
        pending=len(open_dates),
        overdue=overdue,
        attended_pct=_pct(done, done + miss),
        completed_pct=_pct(done, len(plan) - cancel),
    )


# --- pieces ----------------------------------------------------------------------------


def _first_day(
    start: date, weekdays: frozenset[int], needed: tuple[int, int], protocol_id: str
) -> date:
    if isinstance(start, datetime) or not isinstance(start, date):
        raise ScheduleError("start", f"{start!r} is not a date")
    if not isinstance(weekdays, frozenset | set) or not weekdays:
        raise ScheduleError("weekdays", "choose at least one weekday (0 = Mon .. 6 = Sun)")
    for d in weekdays:
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6:
            raise ScheduleError("weekdays", f"{d!r} is not a weekday; allowed 0 (Mon) to 6 (Sun)")
    low, high = needed
    if not low <= len(weekdays) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise ScheduleError(
            "weekdays",
            f"protocol {protocol_id} needs {want} weekday(s) a week; got {len(weekdays)} "
            f"({_names(weekdays)})",
        )
    return next(
        start + timedelta(days=i) for i in range(7) if (start.weekday() + i) % 7 in weekdays
    )


def _sessions(
    phases: tuple[Phase, ...],
    first: date,
    offsets: list[int],
    every_weeks: int | None,
    extend_last: bool,
) -> Iterator[tuple[int, Phase, int, date]]:
    """(phase index, phase, course week, date) in date order. An open-ended phase, or the
    last phase when `extend_last`, never ends: the caller stops."""
    week = 1
    for index, phase in enumerate(phases):
        endless = phase.open_ended or (extend_last and index == len(phases) - 1)
        step = every_weeks if every_weeks in phase.every_weeks else phase.every_weeks[0]
        used = offsets[: phase.per_week[1]]
        w = week if index == 0 else week + step - 1
        count = 0
        last_used = w
        cap = None if endless else phase.sessions
        end_week = None if endless or phase.weeks is None else week + phase.weeks
        while (cap is None or count < cap) and w <= MAX_WEEKS:
            if end_week is not None and w >= end_week:
                break
            for off in used:
                if cap is not None and count >= cap:
                    break
                yield index, phase, w, first + timedelta(days=7 * (w - 1) + off)
                count += 1
                last_used = w
            w += step
        week = week + phase.weeks if phase.weeks is not None else last_used + 1


def _check_windows(
    protocol: Protocol, raw: list[tuple[int, Phase, int, date]], weekdays: frozenset[int]
) -> None:
    for index, phase in enumerate(protocol.schedule.phases):
        if phase.window_days is None or phase.sessions is None:
            continue
        dates = [r[3] for r in raw if r[0] == index][: phase.sessions]
        if len(dates) < phase.sessions:
            continue  # a shortened plan is the prescriber's choice
        span = (dates[-1] - dates[0]).days + 1
        low, high = phase.window_days
        if not low <= span <= high:
            raise ScheduleError(
                "weekdays",
                f"{phase.sessions} sessions on {_names(weekdays)} from {dates[0].isoformat()} "
                f"span {span} days; protocol {protocol.id} needs them within {low}-{high} "
                "days (first to last, inclusive)",
            )


def _labelled(raw: list[tuple[int, Phase, int, date]]) -> list[PlannedSession]:
    totals: dict[int, int] = {}
    for r in raw:
        totals[r[0]] = totals.get(r[0], 0) + 1
    out: list[PlannedSession] = []
    seen: dict[int, int] = {}
    for number, (index, phase, week, day) in enumerate(raw, start=1):
        seen[index] = seen.get(index, 0) + 1
        if phase.open_ended:
            label = f"{phase.title}, week {week}"
        else:
            label = f"{phase.title} {seen[index]} of {totals[index]}, week {week}"
        out.append(PlannedSession(number, day, phase.name, label, week))
    return out


def _names(weekdays: Iterable[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d] for d in sorted(weekdays))


def _whole(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(name, f"{value!r} is not a whole number from {low} to {high}")
    if not low <= value <= high:
        raise ScheduleError(name, f"{value} is out of range; allowed is {low} to {high}")


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None
