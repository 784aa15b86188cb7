"""Lots on hand (ledger.lots), the dose step's lot choices: what is left of each lot by the
ledger, capped at the item's balance, soonest expiry first, and read in a fixed number of
queries however many items and lots the clinic holds (the session-day page builds it on
every load)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.ledger.conftest import IN_DATE

from ketacare.ledger import actions
from ketacare.ledger.lots import lot_of, on_hand

pytestmark = pytest.mark.django_db


def _receive(staff, item, lot: str, vials: int, days: int = 0):  # type: ignore[no-untyped-def]
    return actions.receive(staff, item, vials=vials, lot=lot,
                           expiry=IN_DATE + timedelta(days=days), supplier="Hikma",
                           invoice=f"INV-{lot}")


def test_what_is_left_of_each_lot_soonest_expiry_first(vial_item, device_item, nurse_a,
                                                      prescriber_a, as_staff) -> None:
    nurse = as_staff(nurse_a)
    _receive(nurse, vial_item, "L-100", 2, days=30)   # 20 mL
    _receive(nurse, vial_item, "L-200", 1)            # 10 mL, expires first
    _receive(nurse, vial_item, "L-300", 1, days=60)   # 10 mL, all used below
    actions.receive(nurse, device_item, devices=6, lot="ES-1", expiry=IN_DATE,
                    supplier="Janssen", invoice="J-1")
    actions.dispense(nurse, vial_item, "5", lot="L-100", session_ref=1)
    actions.dispense(nurse, vial_item, "10", lot="L-300", session_ref=2)
    held = on_hand(vial_item.clinic, "racemic_ketamine")
    assert [(h.lot, h.remaining, h.expiry) for h in held] == [
        ("L-200", Decimal(10), IN_DATE), ("L-100", Decimal(15), IN_DATE + timedelta(days=30))]
    assert held[0].key == f"{vial_item.pk}|L-200"
    assert held[0].label().endswith("10 mL (500 mg) left")
    assert [(h.lot, h.remaining) for h in on_hand(vial_item.clinic, "esketamine")] == [
        ("ES-1", Decimal(6))]
    # An adjustment names no lot: the item's balance (15 mL after -10) bounds every lot.
    actions.adjust(as_staff(prescriber_a), vial_item, "-10", reason="Broken vial")
    assert [(h.lot, h.remaining) for h in on_hand(vial_item.clinic, "racemic_ketamine")] == [
        ("L-200", Decimal(10)), ("L-100", Decimal(15))]
    actions.adjust(as_staff(prescriber_a), vial_item, "-7", reason="Count short")
    assert [(h.lot, h.remaining) for h in on_hand(vial_item.clinic, "racemic_ketamine")] == [
        ("L-200", Decimal(8)), ("L-100", Decimal(8))]
    assert lot_of(vial_item, " L-100 ").remaining == Decimal(8)  # type: ignore[union-attr]
    assert lot_of(vial_item, "L-300") is None


def test_lots_on_hand_in_a_fixed_number_of_queries(clinic_a, admin_a, nurse_a,
                                                    as_staff) -> None:
    admin, nurse = as_staff(admin_a), as_staff(nurse_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            on_hand(clinic_a, "racemic_ketamine")
        return len(captured)

    first = actions.create_stock_item(admin, drug="racemic_ketamine", form="vial",
                                      concentration_mg_ml="10", vial_ml="10")
    _receive(nurse, first, "A-1", 1)
    small = queries()
    for n, concentration in enumerate(("50", "100")):
        item = actions.create_stock_item(admin, drug="racemic_ketamine", form="vial",
                                         concentration_mg_ml=concentration, vial_ml="10")
        for lot in range(4):
            _receive(nurse, item, f"B-{n}-{lot}", 2, days=lot)
            actions.dispense(nurse, item, "1", lot=f"B-{n}-{lot}", session_ref=lot + 1)
    assert len(on_hand(clinic_a, "racemic_ketamine")) == 9
    assert queries() == small <= 2
