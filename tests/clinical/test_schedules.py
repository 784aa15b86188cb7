from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.protocols import DEFAULT_PROTOCOLS, get
from ketacare.clinical.schedules import (
    PlannedSession,
    ScheduleError,
    adherence,
    generate,
    move,
    plan_warnings,
)

MON = date(2025, 3, 10)  # a Monday
MWF = frozenset({0, 2, 4})
MON_THU = frozenset({0, 3})


def dates(plan: list[PlannedSession]) -> list[date]:
    return [s.date for s in plan]


def span(plan: list[PlannedSession]) -> int:
    return (plan[-1].date - plan[0].date).days + 1


# --- IV induction --------------------------------------------------------------------


def test_iv_mon_wed_fri_is_six_sessions_over_12_days() -> None:
    plan = generate(get("iv-induction"), MON, MWF)
    assert [s.number for s in plan] == [1, 2, 3, 4, 5, 6]
    assert [d.weekday() for d in dates(plan)] == [0, 2, 4, 0, 2, 4]
    assert span(plan) == 12
    assert {s.phase for s in plan} == {"induction"}
    assert plan[0].label == "Induction 1 of 6, week 1"
    assert plan[-1].label == "Induction 6 of 6, week 2"


def test_iv_twice_weekly_is_about_three_weeks() -> None:
    plan = generate(get("iv-induction"), MON, MON_THU)
    assert span(plan) == 18 and [s.week for s in plan] == [1, 1, 2, 2, 3, 3]
    plan = generate(get("iv-induction"), MON, frozenset({0, 4}))  # Mon/Fri
    assert span(plan) == 19


def test_first_session_is_the_first_chosen_weekday_on_or_after_start() -> None:
    plan = generate(get("iv-induction"), MON + timedelta(days=1), MWF)  # a Tuesday
    assert plan[0].date == MON + timedelta(days=2)
    assert [d.weekday() for d in dates(plan)] == [2, 4, 0, 2, 4, 0]
    assert span(plan) == 13


def test_iv_window_is_enforced() -> None:
    with pytest.raises(ScheduleError) as info:
        generate(get("iv-induction"), MON, frozenset({0, 2, 3}))  # Mon/Wed/Thu: 11 days
    assert info.value.field == "weekdays"
    assert str(info.value) == (
        "weekdays: 6 sessions on Mon, Wed, Thu from 2025-03-10 span 11 days; protocol "
        "iv-induction needs them within 12-21 days (first to last, inclusive)"
    )


@pytest.mark.parametrize("weekdays", [frozenset({0}), frozenset({0, 1, 2, 3})])
def test_iv_needs_two_or_three_weekdays(weekdays: frozenset[int]) -> None:
    with pytest.raises(
        ScheduleError,
        match=r"^weekdays: protocol iv-induction needs 2 to 3 weekday\(s\) a week; got \d",
    ):
        generate(get("iv-induction"), MON, weekdays)


def test_a_longer_iv_plan_checks_the_window_on_the_first_six() -> None:
    plan = generate(get("iv-induction"), MON, MWF, sessions=8)
    assert len(plan) == 8 and plan[-1].label == "Induction 8 of 8, week 3"
    assert len(generate(get("iv-induction"), MON, MWF, sessions=3)) == 3


def test_iv_maintenance_weekly_x4() -> None:
    plan = generate(get("iv-maintenance"), MON, frozenset({2}))
    assert [(d - plan[0].date).days for d in dates(plan)] == [0, 7, 14, 21]
    assert {s.phase for s in plan} == {"maintenance"}
    with pytest.raises(ScheduleError, match="needs 1 weekday"):
        generate(get("iv-maintenance"), MON, MWF)


# --- esketamine label timeline -------------------------------------------------------


def test_esketamine_label_timeline_through_week_12_weekly() -> None:
    plan = generate(get("esketamine"), MON, MON_THU)
    weeks = Counter(s.week for s in plan)
    assert [weeks[w] for w in range(1, 13)] == [2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert Counter(s.phase for s in plan) == {"induction": 8, "maintenance": 8}
    assert [d.weekday() for d in dates(plan)[:8]] == [0, 3] * 4
    # weekly sessions fall on the first chosen weekday of the course week
    assert {d.weekday() for d in dates(plan)[8:]} == {0}
    assert plan[8].label == "Maintenance 1 of 4, week 5"
    assert plan[-1].label == "Maintenance, week 12"


def test_esketamine_every_two_weeks_from_week_9() -> None:
    plan = generate(get("esketamine"), MON, MON_THU, every_weeks=2)
    assert len(plan) == 14
    assert [s.week for s in plan[12:]] == [10, 12]
    assert (plan[12].date - plan[11].date).days == 14


def test_esketamine_course_weeks_count_from_the_first_dose() -> None:
    plan = generate(get("esketamine"), MON + timedelta(days=3), MON_THU)  # starts Thursday
    assert [d.weekday() for d in dates(plan)[:4]] == [3, 0, 3, 0]
    assert {d.weekday() for d in dates(plan)[8:]} == {3}
    assert all(0 <= (s.date - plan[0].date).days - 7 * (s.week - 1) < 7 for s in plan)


def test_esketamine_through_week_and_sessions() -> None:
    assert len(generate(get("esketamine"), MON, MON_THU, through_week=2)) == 4
    assert len(generate(get("esketamine"), MON, MON_THU, through_week=20)) == 8 + 4 + 12
    assert len(generate(get("esketamine"), MON, MON_THU, sessions=30)) == 30
    both = generate(get("esketamine"), MON, MON_THU, sessions=30, through_week=10)
    assert len(both) == 14


def test_esketamine_needs_two_weekdays() -> None:
    with pytest.raises(
        ScheduleError,
        match=r"^weekdays: protocol esketamine needs 2 weekday\(s\) a week; got 3 \(Mon, Wed, Fri\)$",
    ):
        generate(get("esketamine"), MON, MWF)


def test_esketamine_si_is_twice_weekly_for_four_weeks() -> None:
    plan = generate(get("esketamine-si"), MON, frozenset({1, 4}))
    assert len(plan) == 8 and plan[0].date == MON + timedelta(days=1)
    assert [s.week for s in plan] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_sc_kads_twice_weekly_for_four_weeks() -> None:
    assert len(generate(get("sc"), MON, MON_THU)) == 8


def test_every_weeks_choices() -> None:
    with pytest.raises(ScheduleError, match="^every_weeks: 3 is not allowed; allowed: 1, 2$"):
        generate(get("esketamine"), MON, MON_THU, every_weeks=3)
    with pytest.raises(ScheduleError, match="^every_weeks: protocol iv-induction has no phase"):
        generate(get("iv-induction"), MON, MWF, every_weeks=2)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({0, 7})}, "weekdays"),
        ({"weekdays": frozenset({True, 3})}, "weekdays"),
        ({"weekdays": [0, 3]}, "weekdays"),
        ({"start": "2025-03-10"}, "start"),
        ({"sessions": 0}, "sessions"),
        ({"through_week": 0}, "through_week"),
    ],
)
def test_bad_input(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"start": MON, "weekdays": MON_THU}
    args.update(kwargs)
    with pytest.raises(ScheduleError) as info:
        generate(get("esketamine"), args.pop("start"), args.pop("weekdays"), **args)  # type: ignore[arg-type]
    assert info.value.field == field and "\n" not in str(info.value)


# --- moving sessions -----------------------------------------------------------------


def test_move_to_a_holiday_weekday() -> None:
    plan = generate(get("iv-induction"), MON, MWF)
    moved = move(plan, 2, plan[1].date + timedelta(days=1))  # Wed -> Thu
    assert moved[1].date.weekday() == 3 and moved[1].moved_from == plan[1].date
    assert plan[1].moved_from is None  # the input list is untouched
    again = move(moved, 2, plan[1].date - timedelta(days=1))  # -> Tue
    assert again[1].moved_from == plan[1].date  # the generated date is kept
    assert [s.number for s in again] == [1, 2, 3, 4, 5, 6]
    assert move(plan, 2, plan[1].date) == plan


def test_move_refusals() -> None:
    plan = generate(get("iv-induction"), MON, MWF)  # 10, 12, 14, 17, 19, 21 March
    with pytest.raises(
        ScheduleError, match="^new_date: 2025-03-09 is before session 1 on 2025-03-10$"
    ):
        move(plan, 2, date(2025, 3, 9))
    with pytest.raises(ScheduleError, match="^new_date: 2025-03-10 is the same day as session 1$"):
        move(plan, 2, MON)
    with pytest.raises(ScheduleError, match="^new_date: 2025-03-14 is the same day as session 3$"):
        move(plan, 2, date(2025, 3, 14))
    with pytest.raises(
        ScheduleError,
        match="^new_date: 2025-03-15 is after session 3 on 2025-03-14; move that session first$",
    ):
        move(plan, 2, date(2025, 3, 15))
    with pytest.raises(ScheduleError, match="^number: no session 7; sessions are 1-6$"):
        move(plan, 7, MON)
    with pytest.raises(ScheduleError, match="^new_date: "):
        move(plan, 2, "2025-03-11")  # type: ignore[arg-type]
    # the first session may move earlier, the last later
    assert move(plan, 1, date(2025, 3, 7))[0].date == date(2025, 3, 7)
    assert move(plan, 6, date(2025, 3, 28))[-1].date == date(2025, 3, 28)


# --- adherence -----------------------------------------------------------------------


def test_adherence_summary() -> None:
    planned = dates(generate(get("iv-induction"), MON, MWF))
    a = adherence(planned, planned[:3], [planned[3]], [planned[4]], today=date(2025, 3, 22))
    assert (a.planned, a.done, a.missed, a.cancelled, a.pending, a.overdue) == (6, 3, 1, 1, 1, 1)
    assert a.attended_pct == 75.0 and a.completed_pct == 60.0
    assert adherence(planned, [], [], []).attended_pct is None
    assert a.as_dict()["pending"] == 1


def test_adherence_refusals() -> None:
    planned = dates(generate(get("iv-induction"), MON, MWF))
    with pytest.raises(
        ScheduleError, match="^done_dates: 2025-03-11 is not a planned session date$"
    ):
        adherence(planned, [date(2025, 3, 11)], [], [])
    with pytest.raises(ScheduleError, match="^missed: 2025-03-10 is already in done_dates$"):
        adherence(planned, [MON], [MON], [])
    with pytest.raises(ScheduleError, match="^planned_dates: a date appears twice"):
        adherence([MON, MON], [], [], [])


# --- properties ----------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> tuple[str, date, frozenset[int], list[PlannedSession] | None]:
    pid = draw(st.sampled_from(sorted(DEFAULT_PROTOCOLS)))
    low, high = get(pid).schedule.weekdays_range
    n = draw(st.integers(low, high))
    weekdays = frozenset(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n, unique=True)))
    start = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31)))
    try:
        plan = generate(get(pid), start, weekdays)
    except ScheduleError as e:
        assert e.field == "weekdays" and "span" in str(e)
        plan = None
    return pid, start, weekdays, plan


@given(plans())
def test_generated_plans_are_ordered_on_allowed_weekdays(
    drawn: tuple[str, date, frozenset[int], list[PlannedSession] | None],
) -> None:
    pid, start, weekdays, plan = drawn
    if plan is None:
        assert get(pid).schedule.phases[0].window_days is not None
        return
    assert plan and [s.number for s in plan] == list(range(1, len(plan) + 1))
    assert start <= plan[0].date < start + timedelta(days=7)
    assert all(a.date < b.date for a, b in zip(plan, plan[1:], strict=False))
    assert all(s.date.weekday() in weekdays for s in plan)
    assert all(a.week <= b.week for a, b in zip(plan, plan[1:], strict=False))
    for phase in get(pid).schedule.phases:
        if phase.window_days is not None:
            low, high = phase.window_days
            assert low <= span(plan[: phase.sessions]) <= high


@given(plans(), st.data())
def test_moves_keep_the_order(
    drawn: tuple[str, date, frozenset[int], list[PlannedSession] | None], data: st.DataObject
) -> None:
    plan = drawn[3]
    if plan is None:
        return
    index = data.draw(st.integers(0, len(plan) - 1))
    low = plan[index - 1].date + timedelta(days=1) if index else plan[0].date - timedelta(days=30)
    high = (
        plan[index + 1].date - timedelta(days=1)
        if index + 1 < len(plan)
        else plan[-1].date + timedelta(days=30)
    )
    new = data.draw(st.dates(low, high)) if low <= high else None
    if new is None:
        return
    moved = move(plan, index + 1, new)
    assert all(a.date < b.date for a, b in zip(moved, moved[1:], strict=False))
    assert [s for i, s in enumerate(moved) if i != index] == [
        s for i, s in enumerate(plan) if i != index
    ]
    # anything at or beyond a neighbour is refused
    if index + 1 < len(plan):
        with pytest.raises(ScheduleError):
            move(plan, index + 1, plan[index + 1].date)


# --- warnings a prescriber may override (issue #14 item 9) ---------------------------

def test_induction_on_consecutive_days_warns() -> None:
    plan = generate(get("iv-induction"), MON, frozenset({0, 1, 4}))  # Mon, Tue, Fri
    warnings = plan_warnings(plan)
    assert [w.code for w in warnings] == ["consecutive_induction_days"]
    assert "sessions 1 and 2" in warnings[0].message
    assert "2025-03-10" in warnings[0].message and "2025-03-11" in warnings[0].message


def test_induction_two_days_apart_does_not_warn() -> None:
    assert plan_warnings(generate(get("iv-induction"), MON, MWF)) == []
    assert plan_warnings(generate(get("esketamine"), MON, MON_THU)) == []


def test_esketamine_mon_tue_warns_and_sunday_monday_wraps() -> None:
    plan = generate(get("esketamine"), MON, frozenset({0, 1}))
    assert plan_warnings(plan)[0].code == "consecutive_induction_days"
    # Fri and Mon are not consecutive, but Sun and Mon are (across the week's end).
    assert plan_warnings(generate(get("esketamine"), MON, frozenset({4, 0}))) == []
    assert plan_warnings(generate(get("esketamine"), MON, frozenset({6, 0}))) != []


def test_a_moved_session_can_make_consecutive_days() -> None:
    plan = generate(get("iv-induction"), MON, MWF)
    moved = move(plan, 2, MON + timedelta(days=1))
    assert "sessions 1 and 2" in plan_warnings(moved)[0].message


def test_maintenance_on_consecutive_days_is_not_an_induction_warning() -> None:
    plan = [PlannedSession(1, MON, "maintenance", "Maintenance 1", 1),
            PlannedSession(2, MON + timedelta(days=1), "maintenance", "Maintenance 2", 1)]
    assert plan_warnings(plan) == []


def test_active_course_warning() -> None:
    plan = generate(get("iv-induction"), MON, MWF)
    (warning,) = plan_warnings(plan, active_courses=["IV ketamine induction from 2025-03-01"])
    assert warning.code == "active_course"
    assert "IV ketamine induction from 2025-03-01" in warning.message
