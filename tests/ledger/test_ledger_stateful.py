"""Property: whatever sequence of operations staff attempt, the ledger keeps its books.

A Hypothesis state machine drives the real actions against the database with a model of
what the balance should be. Valid operations (receive, dispense, administer, witnessed
waste, adjustment, reversal, count) must move the balance exactly as the model says;
invalid ones (waste without a witness or witnessed by oneself or an analyst, an overdraw,
an adjustment by a nurse, a second reversal) must be refused and leave nothing behind.
After every step: balance == sum of all deltas == the running balance on the last entry,
no stored balance is negative, and the audit trail has one entry per ledger entry.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from tests.conftest import cosigned

from ketacare.audit.models import AuditEvent
from ketacare.ledger import actions
from ketacare.ledger.models import Kind, LedgerEntry

pytestmark = pytest.mark.django_db

IN_DATE = date.today() + timedelta(days=400)
# mL to the microlitre, small enough that overdraws happen often.
ML = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("30"), places=3)
DEVICES = st.integers(min_value=1, max_value=8)
SETTINGS = settings(max_examples=25, stateful_step_count=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _machine(item_factory, people, patient):  # type: ignore[no-untyped-def]
    """A machine class bound to this test's database objects; every example starts on a
    fresh stock item, so examples do not see each other's entries."""

    class Ledger(RuleBasedStateMachine):
        entries = Bundle("entries")

        def __init__(self) -> None:
            super().__init__()
            self.item = item_factory()
            self.model_balance = Decimal(0)
            self.model_count = 0
            self.reversed: set[int] = set()
            self.live_receipts: set[int] = set()  # receipts of LOT-1 not reversed
            self.unit = "devices" if self.item.is_device else "quantity_ml"

        # ------------------------------------------------------------ helpers
        def amount(self, value: Decimal | int) -> dict[str, object]:
            return {self.unit: value}

        def draw(self, data: st.DataObject) -> Decimal | int:
            return data.draw(DEVICES if self.item.is_device else ML)

        def expect_refused(self, call, *errors: type[Exception]) -> None:  # type: ignore[no-untyped-def]
            before = (LedgerEntry.objects.filter(stock_item=self.item).count(),
                      actions.balance(self.item), AuditEvent.objects.count())
            with pytest.raises(errors or (ValidationError,)):
                call()
            after = (LedgerEntry.objects.filter(stock_item=self.item).count(),
                     actions.balance(self.item), AuditEvent.objects.count())
            assert after == before, "a refused operation left something behind"

        def posted(self, entry: LedgerEntry, delta: Decimal | int) -> LedgerEntry:
            self.model_balance += Decimal(delta)
            self.model_count += 1
            assert entry.delta == Decimal(delta)
            assert entry.balance_after == self.model_balance
            return entry

        # ------------------------------------------------------------ valid operations
        @rule(target=entries, data=st.data())
        def receive(self, data: st.DataObject) -> LedgerEntry:
            qty = self.draw(data)
            entry = actions.receive(people["nurse"], self.item, lot="LOT-1", expiry=IN_DATE,
                                    supplier="Hikma", invoice="INV", **self.amount(qty))
            self.live_receipts.add(entry.pk)
            return self.posted(entry, qty)

        @rule(target=entries, data=st.data(), administer=st.booleans())
        def give(self, data: st.DataObject, administer: bool) -> LedgerEntry:
            qty = self.draw(data)
            act = actions.administer if administer else actions.dispense
            call = lambda: act(people["nurse"], self.item, patient=patient,  # noqa: E731
                               session_ref=7, lot="LOT-1", **self.amount(qty))
            # Refused when no receipt of the lot stands (none yet, or all reversed).
            if not self.live_receipts or qty > self.model_balance:
                self.expect_refused(call)
                return self.no_entry()
            return self.posted(call(), -qty)

        @rule(target=entries, data=st.data(),
              witness=st.sampled_from(["prescriber", "none", "self", "analyst", "other"]))
        def waste(self, data: st.DataObject, witness: str) -> LedgerEntry:
            qty = self.draw(data)
            # A plain user (not a co-signature) is refused like no witness at all.
            who = (cosigned(people["nurse"], people["prescriber_user"], "waste_witness")
                   if witness == "prescriber" else
                   {"none": None, "self": people["nurse_user"],
                    "analyst": people["analyst_user"],
                    "other": people["other_clinic_user"]}[witness])
            call = lambda: actions.waste(people["nurse"], self.item, witness=who,  # noqa: E731
                                         method="denaturant", **self.amount(qty))
            if witness != "prescriber" or qty > self.model_balance:
                self.expect_refused(call)
                return self.no_entry()
            return self.posted(call(), -qty)

        @rule(target=entries, data=st.data(), up=st.booleans(),
              by=st.sampled_from(["admin", "prescriber", "nurse"]))
        def adjust(self, data: st.DataObject, up: bool, by: str) -> LedgerEntry:
            qty = self.draw(data)
            delta = qty if up else -qty
            call = lambda: actions.adjust(people[by], self.item,  # noqa: E731
                                          reason="recount", **self.amount(delta))
            if by == "nurse":
                self.expect_refused(call, PermissionDenied)
                return self.no_entry()
            if self.model_balance + delta < 0:
                self.expect_refused(call)
                return self.no_entry()
            return self.posted(call(), delta)

        @rule(target=entries, entry=consumes(entries))
        def reverse(self, entry: LedgerEntry | None) -> LedgerEntry | None:
            if entry is None:
                return None
            call = lambda: actions.reverse(people["prescriber"], entry, "entered wrongly")  # noqa: E731
            if entry.kind in (Kind.REVERSAL, Kind.COUNT) or entry.pk in self.reversed:
                self.expect_refused(call)
                return None
            if self.model_balance - entry.delta < 0:
                self.expect_refused(call)
                return entry  # still reversible later, once stock allows
            reversal = self.posted(call(), -entry.delta)
            assert reversal.reverses_id == entry.pk
            self.reversed.add(entry.pk)
            self.live_receipts.discard(entry.pk)
            # A second reversal of the same entry is refused.
            self.expect_refused(call)
            return reversal  # reversing it in turn must be refused

        @rule(target=entries, data=st.data())
        def count(self, data: st.DataObject) -> LedgerEntry:
            found = data.draw(st.integers(0, 40)) if self.item.is_device else data.draw(
                st.decimals(min_value=0, max_value=60, places=3))
            kwargs = ({"counted_devices": found} if self.item.is_device
                      else {"counted_ml": found})
            entry = self.posted(actions.count(people["nurse"], self.item, **kwargs), 0)
            assert entry.discrepancy == Decimal(found) - self.model_balance
            return entry

        @rule(data=st.data())
        def overdraw(self, data: st.DataObject) -> None:
            qty = self.model_balance + (1 if self.item.is_device else Decimal("0.001"))
            witness = cosigned(people["nurse"], people["prescriber_user"], "waste_witness")
            self.expect_refused(lambda: actions.waste(
                people["nurse"], self.item, witness=witness,
                method="denaturant", **self.amount(qty)))

        def no_entry(self) -> LedgerEntry | None:
            return None  # type: ignore[return-value]

        # ------------------------------------------------------------ invariants
        @invariant()
        def books_balance(self) -> None:
            rows = LedgerEntry.objects.filter(stock_item=self.item)
            # Summed here, not by SQL: SQLite sums decimals as floats.
            total = sum((e.delta for e in rows), Decimal(0))
            assert rows.count() == self.model_count
            assert actions.balance(self.item) == self.model_balance == total
            assert self.model_balance >= 0
            assert all(e.balance_after >= 0 for e in rows)
            seqs = list(rows.order_by("seq").values_list("seq", flat=True))
            assert seqs == list(range(1, len(seqs) + 1))
            audited = AuditEvent.objects.filter(object_type="ledgerentry",
                                                object_id__in=[str(pk) for pk in
                                                               rows.values_list("pk",
                                                                                flat=True)])
            # One entry per posting by the recorder; a witness adds their own.
            assert audited.exclude(role="co-signer").count() == self.model_count

    return Ledger


@pytest.mark.parametrize("form", ["vial", "nasal_device"])
def test_ledger_state_machine(form, clinic_a, clinic_b, admin_a, prescriber_a, nurse_a,
                              analyst_a, prescriber_b, patient_a, as_staff) -> None:
    made = iter(range(10_000))

    def item_factory():  # type: ignore[no-untyped-def]
        n = next(made)
        if form == "vial":
            return actions.create_stock_item(as_staff(admin_a), drug="racemic_ketamine",
                                             form="vial", concentration_mg_ml="50",
                                             label=f"Ketamine 50 #{n}")
        return actions.create_stock_item(as_staff(admin_a), drug="esketamine",
                                         form="nasal_device", label=f"Spravato #{n}")

    people = {
        "admin": as_staff(admin_a), "prescriber": as_staff(prescriber_a),
        "nurse": as_staff(nurse_a), "prescriber_user": prescriber_a, "nurse_user": nurse_a,
        "analyst_user": analyst_a, "other_clinic_user": prescriber_b,
    }
    run_state_machine_as_test(_machine(item_factory, people, patient_a), settings=SETTINGS)
