"""Dose actions: the hold override, the dose itself (posted to the ledger) and the end of
an infusion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.models import Action
from ketacare.clinical import dosing, protocols
from ketacare.ledger import actions as ledger
from ketacare.ledger.models import StockItem
from ketacare.patients.chart import Chart

from ..models import (
    Dose,
    Session,
    VitalsPhase,
)
from ._common import _audit, _core_error, _member, _open


@transaction.atomic
def override_hold(
    staff: Staff, session: Session, reason: str, *, request: HttpRequest | None = None
) -> Session:
    staff.require(Perm.SIGN_ORDERS)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    _open(session)
    if not session.hold:
        raise ValidationError("There is no hold to override.")
    if not reason.strip():
        raise ValidationError({"reason": "An override needs the prescriber's reason."})
    session.override_reason = reason.strip()[:300]
    session.override_by, session.override_at = staff.user, timezone.now()
    session.save(update_fields=["override_reason", "override_by", "override_at"])
    _audit(staff, Action.UPDATE, session, session, request, {"step": "hold_override"})
    return session


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
    second_check_by: User | None = None,
    override_reason: str = "",
    request: HttpRequest | None = None,
) -> Dose:
    """Calculate, record and post the dose to the ledger, all or nothing."""
    staff.require(Perm.RUN_SESSION)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    _open(session)
    if session.checked_in_at is None:
        raise ValidationError("Check the patient in first.")
    if hasattr(session, "dose"):
        raise ValidationError("A dose is already recorded for this session.")
    if not session.vitals.filter(phase=VitalsPhase.PREDOSE).exists():
        raise ValidationError("Record pre-dose vitals first.")
    if not session.hold_cleared:
        raise ValidationError(
            "Dosing is on hold: "
            + "; ".join(session.hold_reasons)
            + ". A prescriber must override with a reason."
        )
    protocol = session.course.protocol()
    today = staff.clinic.today()
    errors: dict[str, str] = {}
    if protocol.route == "iv":
        if second_check_by is None:
            errors["second_check_by"] = "IV doses need a second check by another clinician."
        elif second_check_by == staff.user or not _member(staff, second_check_by):
            errors["second_check_by"] = "The second check must be a different clinic member."
    if expiry < today:
        errors["expiry"] = f"Lot expired on {expiry}."
    if not lot.strip():
        errors["lot"] = "Enter the lot number."
    if stock_item is None:
        errors["stock_item"] = "Choose the stock the dose is drawn from."
    elif stock_item.clinic_id != staff.clinic.pk:
        errors["stock_item"] = "This stock is not in your active clinic."
    elif stock_item.drug != protocol.drug:
        errors["stock_item"] = (
            f"This stock is {stock_item.get_drug_display()}; the protocol "
            f"gives {protocols.DRUGS[protocol.drug]}."
        )
    if errors:
        raise ValidationError(errors)
    assert stock_item is not None
    chart = Chart(patient, today)
    weight = chart.latest_weight
    concentration = (
        float(stock_item.concentration_mg_ml)
        if stock_item.concentration_mg_ml is not None
        else None
    )
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
        )
    except dosing.DoseError as exc:
        raise _core_error(exc) from None
    dose = Dose.objects.create(
        session=session,
        drug=protocol.drug,
        route=protocol.route,
        dose_mg=Decimal(str(result.dose_mg)),
        prescribed_mg=Decimal(str(result.prescribed_mg)),
        mg_per_kg=Decimal(str(result.mg_per_kg)) if result.mg_per_kg is not None else None,
        weight_kg=Decimal(str(result.weight_kg)) if result.weight_kg is not None else None,
        concentration_mg_ml=concentration,
        volume_ml=result.volume_ml,
        devices=result.devices,
        lot=lot.strip(),
        expiry=expiry,
        override_reason=override_reason.strip(),
        started_at=timezone.now(),
        given_by=staff.user,
        second_check_by=second_check_by,
    )
    try:
        entry = ledger.administer(
            staff,
            stock_item,
            quantity_ml=result.volume_ml,
            devices=result.devices,
            patient=patient,
            session_ref=session.pk,
            lot=lot.strip(),
            request=request,
        )
    except ValidationError as exc:
        raise ValidationError({"stock_item": " ".join(exc.messages)}) from None
    dose.ledger_entry_id = entry.pk
    dose.save(update_fields=["ledger_entry_id"])
    _audit(staff, Action.CREATE, session, dose, request,
           {"dose_mg": str(dose.dose_mg), "route": dose.route})
    return dose


@transaction.atomic
def stop_infusion(staff: Staff, session: Session, *, request: HttpRequest | None = None) -> Dose:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    dose = getattr(session, "dose", None)
    if dose is None or dose.route != "iv":
        raise ValidationError("There is no infusion running.")
    if dose.stopped_at is not None:
        raise ValidationError("The infusion is already stopped.")
    dose.stopped_at = timezone.now()
    dose.save(update_fields=["stopped_at"])
    _audit(staff, Action.UPDATE, session, dose, request, {"step": "stop"})
    return dose
