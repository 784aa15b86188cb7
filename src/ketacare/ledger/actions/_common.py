"""What every ledger action shares: amounts in the item's unit, the checks, the lock
and the posting of one sealed entry; the balance reads."""

from __future__ import annotations

import zoneinfo
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts import cosign
from ketacare.accounts.staff import Staff
from ketacare.audit.chain import GENESIS
from ketacare.audit.log import audit_key, record
from ketacare.audit.models import Action
from ketacare.patients.models import Patient

from ..integrity import seal
from ..models import (
    ML,
    Kind,
    LedgerEntry,
    StockItem,
    plain,
)

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
