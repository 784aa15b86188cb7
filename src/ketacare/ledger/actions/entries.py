"""Ledger entries: receive, give (dispense, administer), waste, transfer, adjust,
reverse and count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.patients.models import Patient

from ..models import (
    ML,
    CountKind,
    Kind,
    LedgerEntry,
    StockItem,
    WasteMethod,
    plain,
)
from ._common import (
    _amount,
    _amount_field,
    _check_patient,
    _check_session,
    _check_witness,
    _decimal,
    _own,
    _post,
    _received_lot,
    _text,
    _witnessed,
    clinic_today,
)


@transaction.atomic
def receive(staff: Staff, item: StockItem, quantity_ml: Any = None, *, devices: Any = None,
            vials: int | None = None, lot: str = "", expiry: date | None = None,
            supplier: str = "", invoice: str = "", note: str = "",
            request: HttpRequest | None = None) -> LedgerEntry:
    """Stock arriving from a supplier. With a vial size on the item, `vials` alone gives
    the volume; with both, they must agree."""
    staff.require(Perm.LEDGER_RECORD)
    _own(staff, item)
    if vials is not None and (int(vials) != vials or vials <= 0):
        raise ValidationError({"vials": "Vials are counted whole, at least 1."})
    if quantity_ml is None and devices is None and vials and item.vial_ml:
        quantity_ml = vials * item.vial_ml
    amount = _amount(item, quantity_ml, devices)
    if vials and item.vial_ml and amount != vials * item.vial_ml:
        raise ValidationError({"quantity_ml": (
            f"{vials} vials of {plain(item.vial_ml)} mL make {plain(vials * item.vial_ml)} mL, "
            f"not {plain(amount)} mL.")})
    lot = _text(lot, "lot", "Give the lot number printed on the stock.", required=True,
                max_length=60)
    if expiry is None:
        raise ValidationError({"expiry": "Give the expiry date printed on the stock."})
    if expiry < clinic_today(staff):
        raise ValidationError({"expiry": f"Lot {lot} expired on {expiry:%Y-%m-%d}: expired "
                                         "stock cannot be received into use."})
    supplier = _text(supplier, "supplier", "Give the supplier.", required=True,
                     max_length=120)
    invoice = _text(invoice, "invoice", "Give the invoice or packing-slip number.",
                    required=True, max_length=60)
    return _post(staff, item, Kind.RECEIVE, amount, request=request, vials=vials, lot=lot,
                 expiry=expiry, supplier=supplier, invoice=invoice,
                 note=_text(note, "note", "", required=False, max_length=300))


def _give(staff: Staff, item: StockItem, kind: Kind, quantity_ml: Any, devices: Any,
          patient: Patient | None, session_ref: Any, lot: str, vials: int | None, note: str,
          request: HttpRequest | None) -> LedgerEntry:
    staff.require(Perm.LEDGER_RECORD)
    _own(staff, item)
    amount = _amount(item, quantity_ml, devices)
    _check_patient(staff, patient)
    session = _check_session(session_ref)
    if kind == Kind.ADMINISTER and patient is None:
        raise ValidationError({"patient": "Administration needs the patient."})
    if kind == Kind.DISPENSE and patient is None and session is None:
        raise ValidationError({"patient": "Dispensing needs the patient or the session."})
    lot = _text(lot, "lot", "Give the lot number of the stock used.", required=True,
                max_length=60)
    _received_lot(staff, item, lot)
    if vials is not None and vials < 0:
        raise ValidationError({"vials": "Vials opened cannot be negative."})
    return _post(staff, item, kind, -amount, request=request, field=_amount_field(item),
                 patient=patient, session_ref=session, lot=lot, vials=vials,
                 note=_text(note, "note", "", required=False, max_length=300))


@transaction.atomic
def dispense(staff: Staff, item: StockItem, quantity_ml: Any = None,
             patient: Patient | None = None, session_ref: int | None = None, lot: str = "",
             *, devices: Any = None, vials: int | None = None, note: str = "",
             request: HttpRequest | None = None) -> LedgerEntry:
    """Stock issued from the safe to a treatment session (drawn up for a patient)."""
    return _give(staff, item, Kind.DISPENSE, quantity_ml, devices, patient, session_ref, lot,
                 vials, note, request)


@transaction.atomic
def administer(staff: Staff, item: StockItem, quantity_ml: Any = None,
               patient: Patient | None = None, session_ref: int | None = None, lot: str = "",
               *, devices: Any = None, vials: int | None = None, note: str = "",
               request: HttpRequest | None = None) -> LedgerEntry:
    """Stock given to a patient straight from the ledger's stock."""
    return _give(staff, item, Kind.ADMINISTER, quantity_ml, devices, patient, session_ref, lot,
                 vials, note, request)


@transaction.atomic
def waste(staff: Staff, item: StockItem, quantity_ml: Any = None, witness: object = None,
          method: str = "", *, devices: Any = None, lot: str = "",
          patient: Patient | None = None, session_ref: int | None = None, note: str = "",
          request: HttpRequest | None = None) -> LedgerEntry:
    """Disposal of unused drug, seen by a second staff member."""
    staff.require(Perm.LEDGER_RECORD)
    _own(staff, item)
    amount = _amount(item, quantity_ml, devices)
    signature = _check_witness(staff, witness, cosign.Purpose.WASTE_WITNESS, required=True)
    assert signature is not None
    if method not in WasteMethod.values:
        raise ValidationError({"method": "Say how it was disposed of: "
                                         + ", ".join(WasteMethod.labels) + "."})
    note = _text(note, "note", "Describe the disposal method.",
                 required=method == WasteMethod.OTHER, max_length=300)
    _check_patient(staff, patient)
    entry = _post(staff, item, Kind.WASTE, -amount, request=request, field=_amount_field(item),
                  witness=signature.user, method=method, patient=patient,
                  session_ref=_check_session(session_ref),
                  lot=_text(lot, "lot", "", required=False, max_length=60), note=note)
    return _witnessed(entry, signature, request)


@transaction.atomic
def transfer(staff: Staff, item: StockItem, quantity_ml: Any = None, *, direction: str,
             counterparty: str, devices: Any = None, lot: str = "",
             expiry: date | None = None, invoice: str = "", note: str = "",
             request: HttpRequest | None = None) -> LedgerEntry:
    """Stock moved to (`direction="out"`) or from (`"in"`) another registrant."""
    staff.require(Perm.LEDGER_ADJUST)
    _own(staff, item)
    if direction not in ("out", "in"):
        raise ValidationError({"direction": "Choose in or out."})
    amount = _amount(item, quantity_ml, devices)
    counterparty = _text(counterparty, "counterparty", "Name the other registrant (and "
                         "their registration number).", required=True, max_length=160)
    lot = _text(lot, "lot", "Give the lot number of the stock received.",
                required=direction == "in", max_length=60)
    if direction == "in":
        if expiry is None:
            raise ValidationError({"expiry": "Give the expiry date of the stock received."})
        if expiry < clinic_today(staff):
            raise ValidationError({"expiry": f"Lot {lot} expired on {expiry:%Y-%m-%d}."})
    kind = Kind.TRANSFER_IN if direction == "in" else Kind.TRANSFER_OUT
    return _post(staff, item, kind, amount if direction == "in" else -amount,
                 request=request, field=_amount_field(item), counterparty=counterparty,
                 lot=lot, expiry=expiry,
                 invoice=_text(invoice, "invoice", "", required=False, max_length=60),
                 note=_text(note, "note", "", required=False, max_length=300))


@transaction.atomic
def adjust(staff: Staff, item: StockItem, quantity_ml: Any = None, reason: str = "", *,
           devices: Any = None, note: str = "",
           request: HttpRequest | None = None) -> LedgerEntry:
    """A signed correction of the balance (e.g. after a count), with the reason: admins
    and prescribers only."""
    staff.require(Perm.LEDGER_ADJUST)
    _own(staff, item)
    amount = _amount(item, quantity_ml, devices, signed=True)
    reason = _text(reason, "reason", "An adjustment needs a reason.", required=True,
                   max_length=300)
    return _post(staff, item, Kind.ADJUSTMENT, amount, request=request,
                 field=_amount_field(item), reason=reason,
                 note=_text(note, "note", "", required=False, max_length=300))


@transaction.atomic
def reverse(staff: Staff, entry: LedgerEntry, reason: str, *,
            request: HttpRequest | None = None) -> LedgerEntry:
    """Cancel an entry by posting its opposite, once, with a reason."""
    staff.require(Perm.LEDGER_ADJUST)
    if entry.clinic_id != staff.clinic.pk:
        raise ValidationError("This entry is not in your active clinic.")
    reason = _text(reason, "reason", "Say why this entry is being reversed.", required=True,
                   max_length=300)
    if entry.kind == Kind.REVERSAL:
        raise ValidationError("A reversal cannot itself be reversed: record the correct "
                              "entry instead.")
    if entry.kind == Kind.COUNT:
        raise ValidationError("A count does not change the balance: record a new count "
                              "instead.")
    item = StockItem.objects.select_for_update().get(pk=entry.stock_item_id)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(f"Entry #{entry.seq} has already been reversed.")
    return _post(staff, item, Kind.REVERSAL, -entry.delta, request=request, reverses=entry,
                 reason=reason, patient=entry.patient, session_ref=entry.session_ref,
                 lot=entry.lot)


@transaction.atomic
def count(staff: Staff, item: StockItem, counted_ml: Any = None,
          kind: str = CountKind.PERIODIC, *, counted_devices: Any = None,
          witness: object = None, note: str = "",
          request: HttpRequest | None = None) -> LedgerEntry:
    """An inventory count: records what is on the shelf and its difference from the
    balance. The balance is not changed; a discrepancy is resolved by an adjustment."""
    staff.require(Perm.LEDGER_RECORD)
    _own(staff, item)
    if kind not in CountKind.values:
        raise ValidationError({"count_kind": f"Choose one of: {', '.join(CountKind.values)}."})
    if item.is_device:
        if counted_ml is not None:
            raise ValidationError({"counted_ml": f"{item} is counted in devices."})
        if counted_devices is None:
            raise ValidationError({"counted_devices": "Give the number of devices counted."})
        counted = _decimal(counted_devices, "counted_devices")
        field = "counted_devices"
        if counted != counted.to_integral_value():
            raise ValidationError({field: "Devices are counted whole."})
    else:
        if counted_devices is not None:
            raise ValidationError({"counted_devices": f"{item} is counted in mL."})
        if counted_ml is None:
            raise ValidationError({"counted_ml": "Give the volume counted, in mL."})
        counted = _decimal(counted_ml, "counted_ml")
        field = "counted_ml"
        if counted != counted.quantize(ML):
            raise ValidationError({field: "Give mL to at most 3 decimal places."})
    if counted < 0:
        raise ValidationError({field: "A count cannot be negative."})
    signature = _check_witness(staff, witness, cosign.Purpose.COUNT_WITNESS, required=False)
    entry = _post(staff, item, Kind.COUNT, Decimal(0), request=request, counted=counted,
                  count_kind=kind, witness=signature.user if signature else None,
                  note=_text(note, "note", "", required=False, max_length=300))
    return _witnessed(entry, signature, request)
