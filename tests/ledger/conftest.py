"""Ledger fixtures on top of the shared personas: stock items of clinic A created through
the real action, and `as_staff` to act as a persona."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketacare.accounts.staff import Staff, staff_for

IN_DATE = date.today() + timedelta(days=400)


@pytest.fixture
def as_staff(clinic_a):  # type: ignore[no-untyped-def]
    def _as(user, clinic=None) -> Staff:  # type: ignore[no-untyped-def]
        staff = staff_for(user, clinic or clinic_a)
        assert staff is not None
        return staff

    return _as


@pytest.fixture
def vial_item(clinic_a, admin_a, as_staff):  # type: ignore[no-untyped-def]
    """Racemic ketamine 50 mg/mL in 10 mL vials."""
    from ketacare.ledger import actions

    return actions.create_stock_item(as_staff(admin_a), drug="racemic_ketamine", form="vial",
                                     concentration_mg_ml="50", vial_ml="10")


@pytest.fixture
def device_item(clinic_a, admin_a, as_staff):  # type: ignore[no-untyped-def]
    """Esketamine nasal spray, 28 mg per device."""
    from ketacare.ledger import actions

    return actions.create_stock_item(as_staff(admin_a), drug="esketamine",
                                     form="nasal_device", device_mg="28")


@pytest.fixture
def stocked(vial_item, nurse_a, as_staff):  # type: ignore[no-untyped-def]
    """The vial item with 20 mL (two vials) of lot L-100 received."""
    from ketacare.ledger import actions

    actions.receive(as_staff(nurse_a), vial_item, vials=2, lot="L-100", expiry=IN_DATE,
                    supplier="Hikma", invoice="INV-1")
    return vial_item
