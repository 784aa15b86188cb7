"""The measurement schedule, as pure rules: baseline, pre-session, 24 h after the first
and the last induction session, weekly in maintenance, and the clock reset when a session
is moved or missed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.measurement_schedule import Rules, SessionFact, open_on, plan

MON = date(2026, 3, 2)


def induction(n: int = 6, start: date = MON) -> list[SessionFact]:
    offsets = [0, 2, 4, 7, 9, 11, 14, 16, 18][:n]
    return [SessionFact(i + 1, start + timedelta(days=o), "Induction") for i, o in
            enumerate(offsets)]


def by_key(sessions: list[SessionFact], rules: Rules | None = None) -> dict[str, tuple]:
    return {d.key: (d.kind, d.opens, d.closes, d.session_number) for d in plan(sessions, rules)}


def test_induction_course() -> None:
    dues = by_key(induction())
    assert dues["baseline"] == ("baseline", MON - timedelta(days=7), MON, 1)
    for n, day in [(2, 4), (3, 6), (4, 9), (5, 11), (6, 13)]:
        session_day = MON + timedelta(days=day - 2)
        assert dues[f"pre:{n}"] == ("pre_session", session_day - timedelta(days=1),
                                    session_day, n)
    assert dues["rapid"] == ("rapid_response", MON + timedelta(days=1),
                             MON + timedelta(days=2), 1)
    last = MON + timedelta(days=11)
    assert dues["post_induction"] == ("post_induction", last + timedelta(days=1),
                                      last + timedelta(days=2), 6)
    assert not any(k.startswith("weekly") for k in dues)
    assert "pre:1" not in dues  # the baseline is session 1's pre-session measurement


def test_moved_session_moves_its_measurements() -> None:
    sessions = induction()
    moved = [s if s.number != 1 else SessionFact(1, MON + timedelta(days=1), "Induction")
             for s in sessions]
    dues = by_key(moved)
    assert dues["baseline"][2] == MON + timedelta(days=1)
    assert dues["rapid"][1] == MON + timedelta(days=2)


def test_missed_first_session_resets_the_clock() -> None:
    sessions = induction()
    sessions[0] = SessionFact(1, MON, "Induction", "missed")
    dues = by_key(sessions)
    second = MON + timedelta(days=2)
    assert dues["baseline"] == ("baseline", second - timedelta(days=7), second, 2)
    assert dues["rapid"][1] == second + timedelta(days=1)
    assert "pre:2" not in dues and "pre:1" not in dues


def test_missed_last_induction_session_moves_post_induction() -> None:
    sessions = induction()
    sessions[-1] = SessionFact(6, sessions[-1].day, "Induction", "cancelled")
    dues = by_key(sessions)
    assert dues["post_induction"][3] == 5
    assert dues["post_induction"][1] == sessions[4].day + timedelta(days=1)
    assert "pre:6" not in dues


def test_no_sessions_no_measurements() -> None:
    assert plan([]) == []
    assert plan([SessionFact(1, MON, status="missed")]) == []


def test_single_session_has_no_separate_post_induction() -> None:
    dues = by_key([SessionFact(1, MON)])
    assert set(dues) == {"baseline", "rapid"}


def test_weekly_in_maintenance_fills_gaps() -> None:
    sessions = induction() + [
        SessionFact(7, MON + timedelta(days=28), "Maintenance, week 5"),
        SessionFact(8, MON + timedelta(days=56), "Maintenance, week 9"),
    ]
    dues = plan(sessions)
    weekly = [d for d in dues if d.kind == "maintenance_weekly"]
    assert weekly, "a month between maintenance sessions needs weekly measurements"
    opens = sorted(d.opens for d in dues if d.opens >= sessions[6].day - timedelta(days=1))
    assert all((b - a).days <= 7 for a, b in zip(opens, opens[1:], strict=False))


def test_open_on_a_day() -> None:
    dues = plan(induction())
    assert [d.key for d in open_on(dues, MON + timedelta(days=1))] == ["pre:2", "rapid"]
    assert [d.key for d in open_on(dues, MON - timedelta(days=8))] == []


def test_clinic_rules_from_settings() -> None:
    rules = Rules.from_settings({"selfreport_baseline_lead_days": 3,
                                 "selfreport_instruments": {"depression": ["phq9", "qids-sr16"]}})
    assert rules.baseline_lead_days == 3
    assert rules.instruments_for("depression") == ("phq9", "qids-sr16")
    assert rules.instruments_for("ptsd") == ("pcl5",)
    assert rules.instruments_for("anxiety") == ("gad7",)
    with pytest.raises(ValueError, match="maintenance_every_days"):
        Rules(maintenance_every_days=0)


sessions_strategy = st.lists(
    st.tuples(st.integers(1, 4), st.sampled_from(["planned", "signed", "missed", "cancelled"]),
              st.booleans()),
    min_size=1, max_size=16,
)


def build(raw: list[tuple[int, str, bool]]) -> list[SessionFact]:
    out, day, maintenance = [], MON, False
    for n, (gap, status, switch) in enumerate(raw, start=1):
        maintenance = maintenance or (switch and n > 1)
        out.append(SessionFact(n, day, "Maintenance" if maintenance else "Induction", status))
        day += timedelta(days=gap * (3 if maintenance else 1))
    return out


@given(sessions_strategy, st.integers(1, 10))
def test_schedule_invariants(raw: list[tuple[int, str, bool]], every: int) -> None:
    sessions = build(raw)
    rules = Rules(maintenance_every_days=every)
    dues = plan(sessions, rules)
    held = [s for s in sessions if s.held]
    keys = [d.key for d in dues]
    assert len(keys) == len(set(keys)), "one measurement per key"
    assert all(d.opens <= d.closes for d in dues)
    assert dues == sorted(dues)
    if not held:
        assert dues == []
        return
    first = held[0]
    baseline = [d for d in dues if d.kind == "baseline"]
    assert len(baseline) == 1 and baseline[0].closes == first.day
    # A pre-session measurement for every held session after the first, none for others.
    assert {d.session_number for d in dues if d.kind == "pre_session"} == {
        s.number for s in held[1:]}
    for d in dues:
        if d.kind == "pre_session":
            session = next(s for s in held if s.number == d.session_number)
            assert d.closes == session.day and d.opens <= session.day
    rapid = [d for d in dues if d.kind == "rapid_response"]
    assert len(rapid) == 1 and rapid[0].opens == first.day + timedelta(days=1)
    # Maintenance: never more than `every` days without a measurement opening.
    maintenance = [s for s in held if s.maintenance]
    if maintenance:
        start = max((d.opens for d in dues if d.opens <= maintenance[0].day),
                    default=maintenance[0].day)
        opens = sorted({d.opens for d in dues if start <= d.opens <= maintenance[-1].day})
        points = [start, *opens]
        assert all((b - a).days <= every for a, b in zip(points, points[1:], strict=False))
    else:
        assert not any(d.kind == "maintenance_weekly" for d in dues)
