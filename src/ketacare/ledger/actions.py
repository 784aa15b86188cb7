"""Every write to the controlled-substance ledger: validate, check permission, post one
entry under a lock on its stock item, audit, all in one transaction. Views, API, CLI and
the session day (doses post here) call these; nothing else creates entries.

Amounts are given in the item's unit: `quantity_ml` for vials, `devices` for nasal
devices; the other must be left out. They are positive, except for `adjust`, where the
sign says which way. A refused action raises `ValidationError` naming the field and
leaves nothing behind.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.chain import GENESIS
from ketacare.audit.log import audit_key, record
from ketacare.audit.models import Action
from ketacare.patients.models import Patient

from .integrity import seal
from .models import (
    ML,
    CountKind,
    Drug,
    Form,
    Kind,
    LedgerEntry,
    Schedule,
    StockItem,
    WasteMethod,
    plain,
)
from .ndc import clean_ndc

MAX_ML = Decimal(100_000)
MAX_DEVICES = 10_000
NEEDS_WITNESS = "Waste needs a witness: a second staff member who is not you."
# Kinds that take stock away; used by the pages and reports too.
OUTGOING = (Kind.DISPENSE, Kind.ADMINISTER, Kind.WASTE, Kind.TRANSFER_OUT)


# ---------------------------------------------------------------------------- reads

def balance(item: StockItem) -> Decimal:
    """The current balance in the item's unit (mL or devices): the running balance
    stored on its latest entry."""
    last = _last(item)
    return last.balance_after if last else Decimal(0)


def balance_mg(item: StockItem) -> Decimal:
    return balance(item) * item.mg_per_unit


def last_count(item: StockItem) -> LedgerEntry | None:
    return (LedgerEntry.objects.filter(stock_item=item, kind=Kind.COUNT)
            .order_by("-seq").first())


def clinic_today(staff: Staff) -> date:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(staff.clinic.time_zone)).date()


# ---------------------------------------------------------------------------- helpers

def _last(item: StockItem) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(stock_item=item).order_by("-seq").first()


def _own(staff: Staff, item: StockItem) -> None:
    """Actions trust no caller: another clinic's stock is refused here too."""
    if item.clinic_id != staff.clinic.pk:
        raise ValidationError("This stock item is not in your active clinic.")


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a number."})
    return number


def _amount(item: StockItem, quantity_ml: Any, devices: Any, *, signed: bool = False,
            ml_field: str = "quantity_ml", devices_field: str = "devices") -> Decimal:
    """The amount in the item's unit, checked: the right unit, > 0 (or != 0 when signed),
    mL to three decimals, devices whole."""
    if item.is_device:
        if quantity_ml is not None:
            raise ValidationError({ml_field: f"{item} is counted in devices: give devices, "
                                             "not mL."})
        if devices is None:
            raise ValidationError({devices_field: "Give the number of devices."})
        value = _decimal(devices, devices_field)
        if value != value.to_integral_value():
            raise ValidationError({devices_field: "Devices are counted whole."})
        field, limit, unit = devices_field, Decimal(MAX_DEVICES), "devices"
    else:
        if devices is not None:
            raise ValidationError({devices_field: f"{item} is counted in mL: give mL, "
                                                  "not devices."})
        if quantity_ml is None:
            raise ValidationError({ml_field: "Give the volume in mL."})
        value = _decimal(quantity_ml, ml_field)
        if value != value.quantize(ML):
            raise ValidationError({ml_field: "Give mL to at most 3 decimal places."})
        field, limit, unit = ml_field, MAX_ML, "mL"
    if signed:
        if value == 0:
            raise ValidationError({field: "An adjustment of zero changes nothing."})
    elif value <= 0:
        raise ValidationError({field: f"Must be more than 0 {unit}."})
    if abs(value) > limit:
        raise ValidationError({field: f"Must be at most {limit} {unit}."})
    return value.quantize(ML) if not item.is_device else value.to_integral_value()


def _amount_field(item: StockItem) -> str:
    return "devices" if item.is_device else "quantity_ml"


def _check_witness(staff: Staff, witness: object, purpose: cosign.Purpose, *,
                   required: bool) -> cosign.Cosignature | None:
    """The witness is a `cosign.Cosignature`: the second person confirmed on the spot with
    their own password (and code), not a name picked from a list."""
    if witness is None:
        if required:
            raise ValidationError({"witness": NEEDS_WITNESS})
        return None
    return cosign.require(staff, witness, purpose, field_name="witness", message=NEEDS_WITNESS)


def _witnessed(entry: LedgerEntry, signature: cosign.Cosignature | None,
               request: HttpRequest | None) -> LedgerEntry:
    """The witness's own audit entry next to the recorder's."""
    if signature is not None:
        cosign.record(signature, Action.CREATE, entry, request=request,
                      detail={"kind": entry.kind})
    return entry


def _check_patient(staff: Staff, patient: Patient | None) -> None:
    if patient is not None and patient.clinic_id != staff.clinic.pk:
        raise ValidationError({"patient": "This patient is not in your active clinic."})


def _check_session(session_ref: Any) -> int | None:
    if session_ref is None or session_ref == "":
        return None
    try:
        value = int(session_ref)
    except (TypeError, ValueError):
        raise ValidationError({"session_ref": "A session number is a whole number."}) from None
    if value <= 0:
        raise ValidationError({"session_ref": "A session number is a whole number."})
    return value


def _text(value: str | None, field: str, message: str, *, required: bool,
          max_length: int) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    return value


def _received_lot(staff: Staff, item: StockItem, lot: str) -> None:
    """Stock given to a patient must come from a lot this item received, in date."""
    receipts = LedgerEntry.objects.filter(
        stock_item=item, kind__in=(Kind.RECEIVE, Kind.TRANSFER_IN), lot=lot,
        reversed_by__isnull=True,
    )
    expiries = [e for e in receipts.values_list("expiry", flat=True) if e is not None]
    if not receipts.exists():
        raise ValidationError({"lot": f"Lot {lot} has not been received into {item}."})
    if expiries and max(expiries) < clinic_today(staff):
        raise ValidationError({"lot": f"Lot {lot} expired on {max(expiries):%Y-%m-%d}: "
                                      "do not use it; record it as waste."})


def _post(staff: Staff, item: StockItem, kind: Kind, delta: Decimal, *,
          request: HttpRequest | None, field: str | None = None,
          counted: Decimal | None = None, **fields: Any) -> LedgerEntry:
    """Append one entry: lock the item, compute the running balance, refuse an overdraw,
    write, audit. Callers are inside a transaction."""
    locked = StockItem.objects.select_for_update().get(pk=item.pk)
    last = _last(locked)
    before = last.balance_after if last else Decimal(0)
    after = before + delta
    if after < 0:
        message = (f"Only {locked.text(before)} in stock: {locked.text(-delta)} cannot be "
                   "taken out. Check the amount, or record the missing receipt first.")
        raise ValidationError({field: message} if field else message)
    entry = LedgerEntry(
        clinic=staff.clinic, stock_item=locked, seq=(last.seq + 1) if last else 1, kind=kind,
        recorded_by=staff.user, recorded_at=timezone.now(), **fields,
    )
    if locked.is_device:
        entry.delta_devices, entry.balance_after_devices = int(delta), int(after)
        entry.counted_devices = None if counted is None else int(counted)
    else:
        entry.delta_ml, entry.balance_after_ml = delta, after
        entry.counted_ml = counted
    entry.full_clean(validate_unique=False, validate_constraints=False)
    seal(entry, last.hash if last else GENESIS, audit_key())
    entry.save()
    detail = {"kind": str(kind), "stock_item": locked.pk, "unit": locked.unit,
              "delta": plain(delta), "balance_after": plain(after)}
    if counted is not None:
        detail["counted"] = plain(counted)
    if entry.reverses_id:
        detail["reverses"] = entry.reverses_id
    record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, patient_id=entry.patient_id, obj=entry, detail=detail)
    return entry


# ---------------------------------------------------------------------------- stock items

@transaction.atomic
def create_stock_item(staff: Staff, *, drug: str, form: str, label: str = "",
                      concentration_mg_ml: Any = None, vial_ml: Any = None,
                      device_mg: Any = None, ndc: str = "",
                      schedule: str = Schedule.CIII,
                      request: HttpRequest | None = None) -> StockItem:
    staff.require(Perm.LEDGER_ADJUST)
    if drug not in Drug.values:
        raise ValidationError({"drug": f"Choose one of: {', '.join(Drug.values)}."})
    if form not in Form.values:
        raise ValidationError({"form": f"Choose one of: {', '.join(Form.values)}."})
    schedule = schedule or Schedule.CIII
    if schedule not in Schedule.values:
        raise ValidationError({"schedule": f"Choose one of: {', '.join(Schedule.values)}."})
    try:
        ndc = clean_ndc(ndc)
    except ValueError as exc:
        raise ValidationError({"ndc": str(exc)}) from None
    item = StockItem(clinic=staff.clinic, drug=drug, form=form, created_by=staff.user,
                     ndc=ndc, schedule=schedule)
    if form == Form.VIAL:
        if device_mg not in (None, ""):
            raise ValidationError({"device_mg": "Vials have a concentration, not mg per "
                                                "device."})
        if concentration_mg_ml in (None, ""):
            raise ValidationError({"concentration_mg_ml": "Give the concentration in mg/mL, "
                                                          "e.g. 10, 50 or 100."})
        conc = _decimal(concentration_mg_ml, "concentration_mg_ml")
        if not Decimal("0.1") <= conc <= Decimal(1000):
            raise ValidationError({"concentration_mg_ml": "Concentration must be between "
                                                          "0.1 and 1000 mg/mL."})
        item.concentration_mg_ml = conc
        if vial_ml not in (None, ""):
            size = _decimal(vial_ml, "vial_ml")
            if not Decimal("0.1") <= size <= Decimal(1000):
                raise ValidationError({"vial_ml": "Vial size must be between 0.1 and "
                                                  "1000 mL."})
            item.vial_ml = size
        default_label = (f"{Drug(drug).label} {plain(conc)} mg/mL"
                         + (f" ({plain(item.vial_ml)} mL vial)" if item.vial_ml else ""))
    else:
        if concentration_mg_ml not in (None, "") or vial_ml not in (None, ""):
            raise ValidationError({"concentration_mg_ml": "Nasal devices are counted by "
                                                          "device: give mg per device."})
        mg = _decimal(device_mg if device_mg not in (None, "") else 28, "device_mg")
        if not Decimal(1) <= mg <= Decimal(1000):
            raise ValidationError({"device_mg": "mg per device must be between 1 and 1000."})
        item.device_mg = mg
        default_label = f"{Drug(drug).label} nasal {plain(mg)} mg device"
    item.label = _text(label, "label", "", required=False, max_length=120) or default_label
    if StockItem.objects.filter(clinic=staff.clinic, label=item.label).exists():
        raise ValidationError({"label": f"{staff.clinic} already has a stock item called "
                                        f"{item.label!r}."})
    item.full_clean()
    item.save()
    record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, obj=item,
           detail={"label": item.label, "ndc": item.ndc, "schedule": item.schedule})
    return item


# ---------------------------------------------------------------------------- entries

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
