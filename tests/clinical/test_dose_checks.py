"""The pre-dose checks of the dose itself (`clinical.safety`, issue 18): the rules
`give_dose` and `preview_dose` apply, testable without a database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical import protocols
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.clinical.safety import (
    SECOND_CHECK_MESSAGE,
    lot_problems,
    needs_second_check,
    stock_mismatch,
)

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(("route", "needed"), [
    ("iv", True), ("im", False), ("sc", False), ("oral", False), ("sublingual", False),
    (ESKETAMINE_ROUTE, False),
])
def test_only_iv_needs_a_second_check(route: str, needed: bool) -> None:
    assert needs_second_check(route) is needed
    assert SECOND_CHECK_MESSAGE.startswith("IV doses need a second check")


def test_a_lot_expiring_today_is_usable_and_yesterday_is_not() -> None:
    assert lot_problems("KX-1", TODAY, TODAY) == {}
    assert lot_problems("KX-1", TODAY - timedelta(days=1), TODAY) == {
        "expiry": "Lot expired on 2026-03-09."}


def test_every_lot_problem_at_once() -> None:
    assert lot_problems("  ", TODAY - timedelta(days=1), TODAY) == {
        "expiry": "Lot expired on 2026-03-09.", "lot": "Enter the lot number."}


@given(st.text(max_size=8), st.integers(-400, 400))
def test_lot_problems_name_only_their_fields(lot: str, days: int) -> None:
    problems = lot_problems(lot, TODAY + timedelta(days=days), TODAY)
    assert ("expiry" in problems) is (days < 0)
    assert ("lot" in problems) is (not lot.strip())


def test_stock_of_the_protocols_drug_matches() -> None:
    iv = protocols.get("iv-induction")
    spray = protocols.get("esketamine")
    assert stock_mismatch("racemic_ketamine", "Ketamine (racemic)", iv) is None
    assert stock_mismatch("esketamine", "Esketamine", iv) == (
        "This stock is Esketamine; the protocol gives Racemic ketamine.")
    assert stock_mismatch("racemic_ketamine", "Ketamine (racemic)", spray) == (
        "This stock is Ketamine (racemic); the protocol gives Esketamine.")
