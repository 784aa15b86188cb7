"""Two nurses draw from the same stock at the same moment: the row lock on the stock item
serialises them, so the second sees the first's entry and is refused with the balance
(not a crash, and never a negative balance). On PostgreSQL the two draws really race
in two threads; SQLite has no row locks and serialises whole-database writes, so there
the same two draws run one after the other and must end the same way."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from ketacare.ledger import actions
from ketacare.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_draws_cannot_overdraw(stocked, nurse_a, prescriber_a, patient_a,
                                          as_staff) -> None:
    people = [as_staff(nurse_a), as_staff(prescriber_a)]
    if connection.vendor != "postgresql":
        outcomes_seq: list[object] = []
        for staff in people:
            try:
                outcomes_seq.append(actions.administer(staff, stocked, "15", patient_a,
                                                       lot="L-100"))
            except ValidationError as exc:
                outcomes_seq.append(exc)
        assert isinstance(outcomes_seq[0], LedgerEntry)
        assert "Only 5 mL (250 mg) in stock" in str(outcomes_seq[1])
        assert actions.balance(stocked) == Decimal(5)
        return
    start = threading.Barrier(len(people))
    outcomes: list[object] = []

    def draw(staff) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            outcomes.append(actions.administer(staff, stocked, "15", patient_a, lot="L-100"))
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw, args=(s,)) for s in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    posted = [o for o in outcomes if isinstance(o, LedgerEntry)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(posted) == 1 and len(refused) == 1, outcomes
    assert "Only 5 mL (250 mg) in stock" in str(refused[0])
    assert actions.balance(stocked) == Decimal(5)
