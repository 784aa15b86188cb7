"""Dose actions: the hold override, the dose itself (posted to the ledger) and the end of
an infusion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.models import Action
from ketacare.clinical import dosing, safety
from ketacare.ledger import actions as ledger
from ketacare.ledger import lots
from ketacare.ledger.models import StockItem
from ketacare.patients.chart import Chart

from .. import hooks
from ..models import (
    Dose,
    Session,
    VitalsPhase,
)
from ._common import (
    AlreadyDone,
    _approver,
    _audit,
    _claim,
    _clock,
    _core_error,
    _locked,
    _open,
)


@transaction.atomic
def override_hold(
    staff: Staff, session: Session, reason: str, *, cosigned: object = None,
    request: HttpRequest | None = None,
) -> Session:
    """A prescriber lets a held dose go ahead, with a reason: signed in, or co-signing on
    the nurse's device (`cosigned`, from `cosign.verify`)."""
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    session = _locked(session)
    _open(session)
    if not session.hold:
        raise ValidationError("There is no hold to override.")
    if session.override_reason:
        raise AlreadyDone(f"Already overridden by {session.override_by} at "
                          f"{_clock(staff, session.override_at)}.")
    if not reason.strip():
        raise ValidationError({"reason": "An override needs the prescriber's reason."})
    approver, signature = _approver(
        staff, cosigned, cosign.Purpose.HOLD_OVERRIDE, field="cosign_username",
        message="Only a prescriber overrides a hold: sign in as one, or have one co-sign here.")
    session.override_reason = reason.strip()[:300]
    session.override_by, session.override_at = approver, timezone.now()
    session.save(update_fields=["override_reason", "override_by", "override_at"])
    _audit(staff, Action.UPDATE, session, session, request, {"step": "hold_override"})
    if signature is not None:
        cosign.record(signature, Action.UPDATE, session, patient_id=session.course.patient_id,
                      request=request, detail={"step": "hold_override"})
    return session


@dataclass(frozen=True)
class DosePreview:
    """What the dose step shows before anything is recorded."""

    result: dosing.DoseResult
    limits: dosing.DoseLimits
    weight_measured_on: date | None


def _calculate(staff: Staff, session: Session, stock_item: StockItem, *,
               mg_per_kg: float | None, fixed_mg: int | None,
               override_reason: str) -> DosePreview:
    protocol = session.course.protocol()
    today = staff.clinic.today()
    chart = Chart(session.course.patient, today)
    weight = chart.latest_weight
    concentration = (float(stock_item.concentration_mg_ml)
                     if stock_item.concentration_mg_ml is not None else None)
    try:
        result = dosing.calculate_dose(
            protocol,
            weight_kg=float(weight.weight_kg) if weight else None,
            weight_measured_on=weight.measured_on if weight else None,
            today=today,
            mg_per_kg=mg_per_kg,
            fixed_mg=fixed_mg,
            concentration_mg_ml=concentration,
            override_reason=override_reason or None,
            max_weight_age_days=chart.weight_max_age_days,
            dose_number=session.course.sessions.filter(dose__isnull=False).count() + 1,
            age_years=session.course.patient.age_on(today),  # issue 14 item 8: EU SmPC by age
        )
        lim = dosing.limits(protocol, result.weight_kg)
    except dosing.DoseError as exc:
        raise _core_error(exc) from None
    return DosePreview(result, lim, weight.measured_on if weight else None)


def _check_stock(staff: Staff, session: Session, stock_item: StockItem | None) -> StockItem:
    if stock_item is None:
        raise ValidationError({"stock_item": "Choose the stock the dose is drawn from."})
    if stock_item.clinic_id != staff.clinic.pk:
        raise ValidationError({"stock_item": "This stock is not in your active clinic."})
    mismatch = safety.stock_mismatch(stock_item.drug, stock_item.get_drug_display(),
                                     session.course.protocol())
    if mismatch is not None:
        raise ValidationError({"stock_item": mismatch})
    return stock_item


def _may_dose(session: Session, today: date) -> None:
    """The patient-level gates, refused at preview already: a current signed consent
    and, for esketamine, REMS enrollment (issue 14 item 7): the gates consent and REMS
    register in treatment.hooks."""
    hooks.require_dose_allowed(session, today)


def preview_dose(staff: Staff, session: Session, *, mg_per_kg: float | None = None,
                 fixed_mg: int | None = None, stock_item: StockItem | None,
                 override_reason: str = "") -> DosePreview:
    """The calculated dose (mg, mL, devices), the protocol's range for this patient and
    the weight used: the same calculation `give_dose` records, without recording it."""
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _may_dose(session, staff.clinic.today())
    return _calculate(staff, session, _check_stock(staff, session, stock_item),
                      mg_per_kg=mg_per_kg, fixed_mg=fixed_mg, override_reason=override_reason)


def _already_dosed(staff: Staff) -> Callable[[Session], str | None]:
    def done(session: Session) -> str | None:
        dose = getattr(session, "dose", None)
        return None if dose is None else (
            f"A dose is already recorded for this session: {dose.dose_mg} mg "
            f"by {dose.given_by} at {_clock(staff, dose.started_at)}.")
    return done


def _ready_to_dose(staff: Staff, session: Session) -> None:
    """The session-day order: checked in, pre-dose vitals, patient-level gates, no hold."""
    if session.checked_in_at is None:
        raise ValidationError("Check the patient in first.")
    if not session.vitals.filter(phase=VitalsPhase.PREDOSE).exists():
        raise ValidationError("Record pre-dose vitals first.")
    _may_dose(session, staff.clinic.today())
    if not session.hold_cleared:
        raise ValidationError(
            "Dosing is on hold: "
            + "; ".join(session.hold_reasons)
            + ". A prescriber must override with a reason."
        )


def _checked_dose(staff: Staff, session: Session, stock_item: StockItem | None, *, lot: str,
                  expiry: date, second_check_by: object,
                  ) -> tuple[StockItem, cosign.Cosignature | None, date]:
    """The stock, the IV second checker and the lot's expiry, every problem of the pre-dose
    checks (`clinical.safety`) at once, each on its field. The lot must be on hand in the
    ledger and its expiry is the ledger's: whoever calls cannot give a lot the ledger does
    not hold, nor pass a later expiry for an expired one."""
    errors: dict[str, str] = {}
    checker: cosign.Cosignature | None = None
    if safety.needs_second_check(session.course.protocol().route):
        try:
            checker = cosign.require(
                staff, second_check_by, cosign.Purpose.SECOND_CHECK,
                field_name="second_check_username", message=safety.SECOND_CHECK_MESSAGE)
        except ValidationError as exc:
            errors["second_check_username"] = " ".join(exc.messages)
    try:
        stock_item = _check_stock(staff, session, stock_item)
    except ValidationError as exc:
        errors["stock_item"] = " ".join(exc.messages)
    else:
        held = lots.lot_of(stock_item, lot) if lot.strip() else None
        if lot.strip() and held is None:
            errors["lot"] = (f"Lot {lot.strip()} of {stock_item} is not on hand in the "
                             "ledger: choose one of the lots the ledger holds.")
        elif held is not None and held.expiry is not None:
            expiry = held.expiry
    errors.update(safety.lot_problems(lot, expiry, staff.clinic.today()))
    if errors:
        raise ValidationError(errors)
    assert stock_item is not None
    return stock_item, checker, expiry


def _new_dose(staff: Staff, session: Session, result: dosing.DoseResult, *, lot: str,
              expiry: date, approver: User | None, checker: cosign.Cosignature | None) -> Dose:
    protocol = session.course.protocol()
    return Dose.objects.create(
        session=session,
        drug=protocol.drug,
        route=protocol.route,
        dose_mg=Decimal(str(result.dose_mg)),
        prescribed_mg=Decimal(str(result.prescribed_mg)),
        mg_per_kg=Decimal(str(result.mg_per_kg)) if result.mg_per_kg is not None else None,
        weight_kg=Decimal(str(result.weight_kg)) if result.weight_kg is not None else None,
        concentration_mg_ml=result.concentration_mg_ml,
        volume_ml=result.volume_ml,
        devices=result.devices,
        lot=lot.strip(),
        expiry=expiry,
        override_reason=(result.override_reason or "")[:300],
        override_by=approver,
        started_at=timezone.now(),
        given_by=staff.user,
        second_check_by=checker.user if checker else None,
    )


@transaction.atomic
def give_dose(
    staff: Staff,
    session: Session,
    *,
    mg_per_kg: float | None = None,
    fixed_mg: int | None = None,
    stock_item: StockItem | None,
    lot: str,
    expiry: date,
    second_check_by: object = None,
    override_reason: str = "",
    override_by: object = None,
    request: HttpRequest | None = None,
) -> Dose:
    """Calculate, record and post the dose to the ledger, all or nothing.
    `second_check_by` (IV) and `override_by` (a prescriber co-signing a dose above the
    usual range on a nurse's device) are `cosign.Cosignature`s."""
    staff.require(Perm.RUN_SESSION)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    session = _claim(session, _already_dosed(staff))
    _ready_to_dose(staff, session)
    stock_item, checker, expiry = _checked_dose(staff, session, stock_item, lot=lot,
                                                expiry=expiry,
                                                second_check_by=second_check_by)
    result = _calculate(staff, session, stock_item, mg_per_kg=mg_per_kg, fixed_mg=fixed_mg,
                        override_reason=override_reason).result
    approver: User | None = None
    approval: cosign.Cosignature | None = None
    if result.needs_override:
        # Above the usual range: a prescriber's decision, whoever holds the tablet.
        approver, approval = _approver(
            staff, override_by, cosign.Purpose.DOSE_OVERRIDE, field="override_username",
            message="A dose above the usual range needs a prescriber: sign in as one, or "
                    "have one co-sign the override here.")
    dose = _new_dose(staff, session, result, lot=lot, expiry=expiry, approver=approver,
                     checker=checker)
    try:
        entry = ledger.administer(
            staff, stock_item, quantity_ml=result.volume_ml, devices=result.devices,
            patient=patient, session_ref=session.pk, lot=lot.strip(), request=request)
    except ValidationError as exc:
        raise ValidationError({"stock_item": " ".join(exc.messages)}) from None
    dose.ledger_entry_id = entry.pk
    dose.save(update_fields=["ledger_entry_id"])
    _audit(staff, Action.CREATE, session, dose, request,
           {"dose_mg": str(dose.dose_mg), "route": dose.route,
            "override": result.needs_override})
    for signature in (checker, approval):
        if signature is not None:
            cosign.record(signature, Action.CREATE, dose, patient_id=patient.pk,
                          request=request, detail={"dose_mg": str(dose.dose_mg)})
    return dose


@transaction.atomic
def stop_infusion(staff: Staff, session: Session, *, request: HttpRequest | None = None) -> Dose:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    session = _locked(session)
    _open(session)
    dose = getattr(session, "dose", None)
    if dose is None or dose.route != "iv":
        raise ValidationError("There is no infusion running.")
    if dose.stopped_at is not None:
        raise AlreadyDone(f"The infusion was already stopped at "
                          f"{_clock(staff, dose.stopped_at)}.")
    dose.stopped_at = timezone.now()
    dose.save(update_fields=["stopped_at"])
    _audit(staff, Action.UPDATE, session, dose, request, {"step": "stop"})
    return dose
