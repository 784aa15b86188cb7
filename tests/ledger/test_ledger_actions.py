"""Every ledger action and every refusal, one at a time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from tests.conftest import cosigned

from ketacare.accounts.models import Membership
from ketacare.audit.models import AuditEvent
from ketacare.ledger import actions
from ketacare.ledger.models import ImmutableEntry, Kind, LedgerEntry, StockItem

IN_DATE = date.today() + timedelta(days=400)  # as in conftest's `stocked`
pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def _nothing_written(item: StockItem, entries: int, balance: Decimal) -> None:
    assert LedgerEntry.objects.filter(stock_item=item).count() == entries
    assert actions.balance(item) == balance


# ---------------------------------------------------------------------------- stock items

def test_stock_items_get_clear_default_labels(vial_item, device_item) -> None:
    assert vial_item.label == "Ketamine (racemic) 50 mg/mL (10 mL vial)"
    assert vial_item.unit == "ml" and vial_item.mg_per_unit == Decimal(50)
    assert device_item.label == "Esketamine nasal 28 mg device"
    assert device_item.unit == "devices" and device_item.strength == "28 mg per device"


def test_stock_item_rules(clinic_a, admin_a, nurse_a, as_staff, vial_item) -> None:
    admin = as_staff(admin_a)
    with pytest.raises(ValidationError) as exc:
        actions.create_stock_item(admin, drug="racemic_ketamine", form="vial")
    assert "mg/mL" in _errors(exc)["concentration_mg_ml"][0]
    with pytest.raises(ValidationError) as exc:
        actions.create_stock_item(admin, drug="racemic_ketamine", form="vial",
                                  concentration_mg_ml="50", vial_ml="10")
    assert "already has" in _errors(exc)["label"][0]
    with pytest.raises(ValidationError) as exc:
        actions.create_stock_item(admin, drug="heroin", form="vial", concentration_mg_ml=1)
    assert "drug" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        actions.create_stock_item(admin, drug="esketamine", form="nasal_device",
                                  concentration_mg_ml="140")
    with pytest.raises(PermissionDenied):
        actions.create_stock_item(as_staff(nurse_a), drug="esketamine", form="nasal_device")


# ---------------------------------------------------------------------------- receive

def test_receive_by_vials_and_balance_in_ml_and_mg(stocked) -> None:
    entry = LedgerEntry.objects.get(stock_item=stocked)
    assert entry.kind == Kind.RECEIVE and entry.seq == 1 and entry.vials == 2
    assert entry.delta_ml == Decimal("20.000") and entry.delta_devices is None
    assert actions.balance(stocked) == Decimal(20)
    assert actions.balance_mg(stocked) == Decimal(1000)
    event = AuditEvent.objects.filter(object_type="ledgerentry").get()
    assert event.action == "create" and event.detail["balance_after"] == "20"
    assert event.detail["kind"] == "receive" and event.patient_id is None


def test_receive_refusals(vial_item, nurse_a, analyst_a, as_staff, monkeypatch) -> None:
    nurse = as_staff(nurse_a)
    good = {"lot": "L1", "expiry": IN_DATE, "supplier": "Hikma", "invoice": "I-9"}
    cases = [
        ({"quantity_ml": "0"}, "quantity_ml", "more than 0"),
        ({"quantity_ml": "-5"}, "quantity_ml", "more than 0"),
        ({"quantity_ml": "1.0005"}, "quantity_ml", "3 decimal places"),
        ({"quantity_ml": "abc"}, "quantity_ml", "number"),
        ({"devices": 3}, "devices", "counted in mL"),
        ({}, "quantity_ml", "volume"),
        ({"vials": 2, "quantity_ml": "15"}, "quantity_ml", "make 20 mL, not 15 mL"),
        ({"quantity_ml": "10", "lot": " "}, "lot", "lot number"),
        ({"quantity_ml": "10", "expiry": None}, "expiry", "expiry"),
        ({"quantity_ml": "10", "expiry": date.today() - timedelta(days=3)}, "expiry",
         "expired"),
        ({"quantity_ml": "10", "supplier": ""}, "supplier", "supplier"),
        ({"quantity_ml": "10", "invoice": ""}, "invoice", "invoice"),
    ]
    for extra, field, text in cases:
        with pytest.raises(ValidationError) as exc:
            actions.receive(nurse, vial_item, **{**good, **extra})
        assert text in " ".join(_errors(exc)[field]), (extra, _errors(exc))
    _nothing_written(vial_item, 0, Decimal(0))
    with pytest.raises(PermissionDenied):
        actions.receive(as_staff(analyst_a), vial_item, "10", **good)


def test_other_clinic_cannot_write_to_clinic_a_stock(stocked, prescriber_b, clinic_b,
                                                     as_staff) -> None:
    staff_b = as_staff(prescriber_b, clinic_b)
    with pytest.raises(ValidationError, match="not in your active clinic"):
        actions.receive(staff_b, stocked, "5", lot="X", expiry=IN_DATE, supplier="S",
                        invoice="I")
    with pytest.raises(ValidationError, match="not in your active clinic"):
        actions.reverse(staff_b, LedgerEntry.objects.get(stock_item=stocked), "mine now")
    _nothing_written(stocked, 1, Decimal(20))


# ---------------------------------------------------------------------------- give

def test_administer_and_dispense(stocked, nurse_a, patient_a, as_staff) -> None:
    nurse = as_staff(nurse_a)
    given = actions.administer(nurse, stocked, "0.7", patient_a, 41, "L-100")
    assert given.delta_ml == Decimal("-0.7") and given.balance_after_ml == Decimal("19.3")
    assert given.delta_mg == Decimal("-35") and given.session_ref == 41
    assert AuditEvent.objects.filter(object_id=str(given.pk)).get().patient_id == patient_a.pk
    drawn = actions.dispense(nurse, stocked, "1.3", session_ref=42, lot="L-100", vials=1)
    assert drawn.balance_after_ml == Decimal(18) and drawn.patient is None
    assert actions.balance_mg(stocked) == Decimal(900)


def test_give_refusals(stocked, nurse_a, patient_a, as_staff, monkeypatch) -> None:
    nurse = as_staff(nurse_a)
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, stocked, "1", None, None, "L-100")
    assert "patient" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        actions.dispense(nurse, stocked, "1", lot="L-100")
    assert "patient or the session" in _errors(exc)["patient"][0]
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, stocked, "1", patient_a, lot="L-999")
    assert "has not been received" in _errors(exc)["lot"][0]
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, stocked, "1", patient_a, lot="")
    assert "lot" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, stocked, "1", patient_a, session_ref="x", lot="L-100")
    assert "session_ref" in _errors(exc)
    # The lot expires: it can no longer be given (waste stays possible).
    monkeypatch.setattr(actions._common, "clinic_today",
                        lambda staff: IN_DATE + timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, stocked, "1", patient_a, lot="L-100")
    assert "expired" in _errors(exc)["lot"][0]
    _nothing_written(stocked, 1, Decimal(20))


def test_overdraw_is_refused_with_the_balance(stocked, nurse_a, patient_a, as_staff) -> None:
    with pytest.raises(ValidationError) as exc:
        actions.administer(as_staff(nurse_a), stocked, "20.001", patient_a, lot="L-100")
    message = _errors(exc)["quantity_ml"][0]
    assert "Only 20 mL (1000 mg) in stock" in message and "20.001 mL" in message
    _nothing_written(stocked, 1, Decimal(20))


def test_patient_of_another_clinic_is_refused(stocked, nurse_a, clinic_b, prescriber_b,
                                              as_staff) -> None:
    from ketacare.patients import actions as patient_actions

    other = patient_actions.create_patient(as_staff(prescriber_b, clinic_b), {
        "mrn": "B-1", "given_name": "Sam", "family_name": "Other",
        "date_of_birth": date(1990, 1, 1), "sex_at_birth": "male"})
    with pytest.raises(ValidationError) as exc:
        actions.administer(as_staff(nurse_a), stocked, "1", other, lot="L-100")
    assert "not in your active clinic" in _errors(exc)["patient"][0]


# ---------------------------------------------------------------------------- waste

def test_waste_with_a_witness(stocked, nurse_a, prescriber_a, as_staff) -> None:
    nurse = as_staff(nurse_a)
    entry = actions.waste(nurse, stocked, "0.3", cosigned(nurse, prescriber_a, "waste_witness"),
                          "denaturant", lot="L-100")
    assert entry.kind == Kind.WASTE and entry.witness == prescriber_a
    assert actions.balance(stocked) == Decimal("19.7")
    recorder, witness = AuditEvent.objects.filter(
        object_id=str(entry.pk), object_type="ledgerentry").order_by("pk")
    assert recorder.detail["delta"] == "-0.3" and recorder.username == "noah"
    # The witness has an entry of their own, after confirming with their password.
    assert witness.username == "priya" and witness.detail["method"] == "password"


def test_waste_witness_rules(stocked, clinic_a, nurse_a, prescriber_a, analyst_a,
                             prescriber_b, as_staff) -> None:
    nurse = as_staff(nurse_a)
    with pytest.raises(ValidationError) as exc:
        actions.waste(nurse, stocked, "0.5", None, "denaturant")
    assert _errors(exc)["witness"] == [
        "Waste needs a witness: a second staff member who is not you."]
    # A name alone is not a witness: only a co-signature checked with a password is.
    with pytest.raises(ValidationError) as exc:
        actions.waste(nurse, stocked, "0.5", prescriber_a, "denaturant")
    assert "confirm with their password" in _errors(exc)["witness"][0]
    cases = [
        (nurse_a, "not you"),
        (analyst_a, "their role does not allow it"),
        (prescriber_b, "No active staff member of Clinic A"),
    ]
    for witness, text in cases:
        with pytest.raises(ValidationError) as exc:
            cosigned(nurse, witness, "waste_witness")
        assert text in _errors(exc)["cosign_username"][0], witness
    Membership.objects.filter(user=prescriber_a).update(active=False)
    with pytest.raises(ValidationError) as exc:
        cosigned(nurse, prescriber_a, "waste_witness")
    assert "No active staff member" in _errors(exc)["cosign_username"][0]
    _nothing_written(stocked, 1, Decimal(20))


def test_waste_method_rules(stocked, nurse_a, prescriber_a, as_staff) -> None:
    nurse = as_staff(nurse_a)
    witness = cosigned(nurse, prescriber_a, "waste_witness")
    with pytest.raises(ValidationError) as exc:
        actions.waste(nurse, stocked, "0.5", witness, "")
    assert "disposed" in _errors(exc)["method"][0]
    with pytest.raises(ValidationError) as exc:
        actions.waste(nurse, stocked, "0.5", witness, "other")
    assert "Describe" in _errors(exc)["note"][0]
    actions.waste(nurse, stocked, "0.5", witness, "other", note="Returned to pharmacy")
    with pytest.raises(ValidationError) as exc:
        actions.waste(nurse, stocked, "19.6", witness, "denaturant")
    assert "Only 19.5 mL (975 mg)" in _errors(exc)["quantity_ml"][0]


def test_database_refuses_unwitnessed_or_self_witnessed_waste(stocked, nurse_a) -> None:
    base = {"clinic": stocked.clinic, "stock_item": stocked, "kind": Kind.WASTE,
            "delta_ml": Decimal(-1), "balance_after_ml": Decimal(19), "recorded_by": nurse_a,
            "recorded_at": timezone.now()}
    for seq, witness in ((2, None), (3, nurse_a)):
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry(seq=seq, witness=witness, **base).save()


# ---------------------------------------------------------------------------- transfer

def test_transfer_out_and_in(stocked, admin_a, nurse_a, as_staff) -> None:
    admin = as_staff(admin_a)
    out = actions.transfer(admin, stocked, "5", direction="out",
                           counterparty="Riverside Clinic, DEA AB1234567")
    assert out.kind == Kind.TRANSFER_OUT and out.balance_after_ml == Decimal(15)
    back = actions.transfer(admin, stocked, "2", direction="in", counterparty="Riverside",
                            lot="L-200", expiry=IN_DATE)
    assert back.kind == Kind.TRANSFER_IN and actions.balance(stocked) == Decimal(17)
    with pytest.raises(ValidationError) as exc:
        actions.transfer(admin, stocked, "2", direction="in", counterparty="Riverside")
    assert "lot" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        actions.transfer(admin, stocked, "2", direction="out", counterparty=" ")
    assert "counterparty" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        actions.transfer(admin, stocked, "2", direction="sideways", counterparty="x")
    assert "direction" in _errors(exc)
    with pytest.raises(PermissionDenied):
        actions.transfer(as_staff(nurse_a), stocked, "1", direction="out", counterparty="x")


# ---------------------------------------------------------------------------- adjust

def test_adjustment_rules(stocked, prescriber_a, nurse_a, as_staff) -> None:
    prescriber = as_staff(prescriber_a)
    with pytest.raises(PermissionDenied):
        actions.adjust(as_staff(nurse_a), stocked, "-1", "spilled")
    with pytest.raises(ValidationError) as exc:
        actions.adjust(prescriber, stocked, "-1", "  ")
    assert "needs a reason" in _errors(exc)["reason"][0]
    with pytest.raises(ValidationError) as exc:
        actions.adjust(prescriber, stocked, "0", "nothing")
    assert "zero" in _errors(exc)["quantity_ml"][0]
    with pytest.raises(ValidationError) as exc:
        actions.adjust(prescriber, stocked, "-25", "count was short")
    assert "Only 20 mL" in _errors(exc)["quantity_ml"][0]
    _nothing_written(stocked, 1, Decimal(20))
    down = actions.adjust(prescriber, stocked, "-0.25", "Overfill lost on draw-up")
    assert down.kind == Kind.ADJUSTMENT and down.balance_after_ml == Decimal("19.75")
    up = actions.adjust(prescriber, stocked, "0.05", "Recount")
    assert up.balance_after_ml == Decimal("19.8") and up.reason == "Recount"


# ---------------------------------------------------------------------------- reverse

def test_reverse_posts_the_opposite_once(stocked, nurse_a, prescriber_a, patient_a,
                                         as_staff) -> None:
    prescriber = as_staff(prescriber_a)
    given = actions.administer(as_staff(nurse_a), stocked, "2", patient_a, lot="L-100")
    reversal = actions.reverse(prescriber, given, "Wrong patient chosen")
    assert reversal.kind == Kind.REVERSAL and reversal.reverses == given
    assert reversal.delta_ml == Decimal(2) and reversal.patient == patient_a
    assert actions.balance(stocked) == Decimal(20)
    given.refresh_from_db()
    assert given.reversed_by == reversal
    with pytest.raises(ValidationError, match="already been reversed"):
        actions.reverse(prescriber, given, "again")
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        actions.reverse(prescriber, reversal, "undo the undo")
    with pytest.raises(ValidationError) as exc:
        actions.reverse(prescriber, LedgerEntry.objects.get(seq=1, stock_item=stocked), "")
    assert "reason" in _errors(exc)
    with pytest.raises(PermissionDenied):
        actions.reverse(as_staff(nurse_a), LedgerEntry.objects.get(seq=1, stock_item=stocked),
                        "mine")
    _nothing_written(stocked, 3, Decimal(20))


def test_reversing_a_receipt_that_was_used_is_an_overdraw(stocked, nurse_a, prescriber_a,
                                                          patient_a, as_staff) -> None:
    actions.administer(as_staff(nurse_a), stocked, "5", patient_a, lot="L-100")
    receipt = LedgerEntry.objects.get(stock_item=stocked, seq=1)
    with pytest.raises(ValidationError, match="Only 15 mL"):
        actions.reverse(as_staff(prescriber_a), receipt, "Wrong item")
    _nothing_written(stocked, 2, Decimal(15))


def test_a_reversed_lot_cannot_be_given(stocked, nurse_a, prescriber_a, patient_a,
                                        as_staff) -> None:
    receipt = LedgerEntry.objects.get(stock_item=stocked, seq=1)
    actions.reverse(as_staff(prescriber_a), receipt, "Received into the wrong item")
    with pytest.raises(ValidationError, match="has not been received"):
        actions.administer(as_staff(nurse_a), stocked, "1", patient_a, lot="L-100")


# ---------------------------------------------------------------------------- count

def test_count_records_discrepancy_without_changing_the_balance(stocked, nurse_a,
                                                                prescriber_a,
                                                                as_staff) -> None:
    nurse = as_staff(nurse_a)
    matched = actions.count(nurse, stocked, "20", "periodic")
    assert matched.discrepancy == 0 and matched.delta_ml == 0
    short = actions.count(nurse, stocked, "19.5", "biennial",
                          witness=cosigned(nurse, prescriber_a, "count_witness"))
    assert short.witness == prescriber_a
    assert short.discrepancy == Decimal("-0.5") and short.count_kind == "biennial"
    assert actions.balance(stocked) == Decimal(20)
    assert actions.last_count(stocked) == short
    with pytest.raises(ValidationError, match="cannot be reversed|does not change"):
        actions.reverse(as_staff(prescriber_a), short, "miscounted")
    with pytest.raises(ValidationError) as exc:
        actions.count(nurse, stocked, "-1")
    assert "negative" in _errors(exc)["counted_ml"][0]
    with pytest.raises(ValidationError) as exc:
        actions.count(nurse, stocked, "1", "weekly")
    assert "count_kind" in _errors(exc)
    with pytest.raises(ValidationError) as exc:
        actions.count(nurse, stocked, "1", witness=nurse_a)
    assert "confirm with their password" in _errors(exc)["witness"][0]
    with pytest.raises(ValidationError) as exc:
        actions.count(nurse, stocked, "1",
                      witness=cosigned(nurse, prescriber_a, "waste_witness"))
    assert "another step" in _errors(exc)["witness"][0]


# ---------------------------------------------------------------------------- devices

def test_devices_are_counted_whole(device_item, nurse_a, prescriber_a, patient_a,
                                   as_staff) -> None:
    nurse = as_staff(nurse_a)
    received = actions.receive(nurse, device_item, devices=12, vials=4, lot="E-1",
                               expiry=IN_DATE, supplier="Janssen", invoice="J-1")
    assert received.delta_devices == 12 and received.delta_ml is None
    assert actions.balance(device_item) == 12 and actions.balance_mg(device_item) == 336
    given = actions.administer(nurse, device_item, patient=patient_a, lot="E-1", devices=3)
    assert given.balance_after_devices == 9 and given.delta_mg == Decimal(-84)
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, device_item, "0.2", patient_a, lot="E-1")
    assert "counted in devices" in _errors(exc)["quantity_ml"][0]
    with pytest.raises(ValidationError) as exc:
        actions.waste(nurse, device_item, None, prescriber_a, "denaturant", devices="1.5")
    assert "whole" in _errors(exc)["devices"][0]
    with pytest.raises(ValidationError) as exc:
        actions.administer(nurse, device_item, patient=patient_a, lot="E-1", devices=10)
    assert "Only 9 devices (252 mg) in stock" in _errors(exc)["devices"][0]
    count = actions.count(nurse, device_item, counted_devices=8)
    assert count.discrepancy == -1 and count.counted_devices == 8


# ---------------------------------------------------------------------------- immutability

def test_entries_cannot_be_changed_or_deleted(stocked) -> None:
    entry = LedgerEntry.objects.get(stock_item=stocked)
    entry.delta_ml = Decimal(1000)
    with pytest.raises(ImmutableEntry):
        entry.save()
    with pytest.raises(ImmutableEntry):
        entry.delete()
    with pytest.raises(ImmutableEntry):
        LedgerEntry.objects.filter(pk=entry.pk).update(delta_ml=1000)
    with pytest.raises(ImmutableEntry):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.delta_ml == Decimal(20)


def test_database_refuses_update_and_postgres_refuses_delete(stocked) -> None:
    entry = LedgerEntry.objects.get(stock_item=stocked)
    table = LedgerEntry._meta.db_table
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET delta_ml = 1000 WHERE id = %s",  # noqa: S608
                       [entry.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])  # noqa: S608
    assert LedgerEntry.objects.get(pk=entry.pk).delta_ml == Decimal(20)


def test_database_refuses_a_negative_balance_and_a_repeated_sequence(stocked, nurse_a) -> None:
    base = {"clinic": stocked.clinic, "stock_item": stocked, "kind": Kind.ADJUSTMENT,
            "recorded_by": nurse_a, "recorded_at": timezone.now(), "reason": "raw"}
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry(seq=2, delta_ml=Decimal(-21), balance_after_ml=Decimal(-1), **base).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry(seq=1, delta_ml=Decimal(1), balance_after_ml=Decimal(21), **base).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry(seq=2, delta_ml=Decimal(1), balance_after_ml=Decimal(21),
                    delta_devices=1, balance_after_devices=1, **base).save()
    _nothing_written(stocked, 1, Decimal(20))
