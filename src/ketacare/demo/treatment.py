"""Treatment data for the demo clinic: protocols, stock on the shelf, and courses for the
patients in treatment whose screening allows one, with session 1 planned for today so a
nurse can run it. Idempotent: patients who have a course are left alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ketacare.accounts.staff import Staff
from ketacare.clinical import dosing, protocols
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.ledger import actions as ledger
from ketacare.ledger.models import StockItem
from ketacare.patients.models import Patient
from ketacare.treatment import actions
from ketacare.treatment.models import (
    ClinicProtocol,
    Course,
    CourseStatus,
    Dose,
    Session,
    SessionStatus,
    VitalSigns,
    VitalsPhase,
)

# A past session's vitals, before the dose and at each reading the protocol schedules: the
# blood pressure rising by 10-15 mmHg in the first half hour and back within the hour, as
# is usual with ketamine, and below every alert threshold (the demo history raises none).
PREDOSE = (122, 78, 74)  # SBP, DBP, HR
RISE_BY_MINUTE = {15: 14, 30: 12, 40: 8, 45: 6, 60: 2}

# route -> (protocol key, weekdays as offsets from today)
CONCENTRATION_MG_ML = Decimal(10)  # the 10 mg/mL vial the demo stocks
COURSES = {"iv": ("iv-induction", (0, 2, 4)), ESKETAMINE_ROUTE: ("esketamine", (0, 3))}


def populate(prescriber: Staff, nurse: Staff, *, limit: int = 8) -> int:
    clinic = prescriber.clinic
    actions.ensure_default_protocols(clinic)
    today = clinic.today()
    if not StockItem.objects.filter(clinic=clinic).exists():
        expiry = today + timedelta(days=540)
        vial = ledger.create_stock_item(prescriber, drug="racemic_ketamine", form="vial",
                                        concentration_mg_ml="10", vial_ml="10")
        ledger.receive(nurse, vial, vials=20, lot="KET-24A17", expiry=expiry,
                       supplier="Hikma Pharmaceuticals", invoice="INV-88120")
        strong = ledger.create_stock_item(prescriber, drug="racemic_ketamine", form="vial",
                                          concentration_mg_ml="50", vial_ml="10")
        ledger.receive(nurse, strong, vials=5, lot="KET-50B02", expiry=expiry,
                       supplier="Hikma Pharmaceuticals", invoice="INV-88120")
        spray = ledger.create_stock_item(prescriber, drug="esketamine", form="nasal_device",
                                         device_mg=protocols.ESKETAMINE_DEVICE_MG)
        ledger.receive(nurse, spray, devices=36, lot="ESK-3310", expiry=expiry,
                       supplier="Janssen (REMS-certified distributor)", invoice="INV-90211")
    if Course.objects.filter(patient__clinic=clinic).exists():
        return 0  # already populated: the demo never adds a second round of courses
    started = 0
    candidates = Patient.objects.filter(clinic=clinic, status="active", courses__isnull=True)
    for patient in candidates.order_by("mrn"):
        if started >= limit:
            break
        for route, (key, offsets) in COURSES.items():
            if not actions.eligibility_for(patient, route)[0]:
                continue
            weekdays = frozenset((today.weekday() + o) % 7 for o in offsets)
            actions.start_course(
                prescriber, patient, ClinicProtocol.objects.get(clinic=clinic, key=key),
                indication="Treatment-resistant depression" if route == ESKETAMINE_ROUTE
                else "Depression, induction series", start_date=today, weekdays=weekdays)
            started += 1
            break
    return started


def past_course(patient: Patient, start: datetime, prescriber: Staff) -> Course:
    """A completed IV induction that began at `start` (demo history only: written
    directly, as the session-day actions stamp the present time)."""
    clinic_protocol = ClinicProtocol.objects.get(clinic=patient.clinic, key="iv-induction")
    protocol = clinic_protocol.protocol()
    weight = patient.weight_set.filter(entered_in_error=False).first()
    weight_kg = Decimal(str(weight.weight_kg)) if weight else Decimal(70)
    # The protocol's default mg/kg through the dose calculator, as if the weight had been
    # taken on the day (the demo's weights are recent; its history is back-dated).
    weighed_on = weight.measured_on if weight else start.date()
    dose = dosing.calculate_dose(protocol, weight_kg=float(weight_kg),
                                 weight_measured_on=weighed_on, today=weighed_on,
                                 concentration_mg_ml=float(CONCENTRATION_MG_ML))
    dose_mg = Decimal(str(dose.dose_mg))
    course = Course.objects.create(
        patient=patient, clinic_protocol=clinic_protocol, protocol_data=protocol.as_dict(),
        indication="Depression, induction series", start_date=start.date(),
        weekdays=sorted({(start.weekday() + o) % 7 for o in (0, 2, 4)}),
        status=CourseStatus.COMPLETED, started_by=prescriber.user)
    for number in range(1, 7):
        began = start + timedelta(days=2 * (number - 1) + (number - 1) // 3)
        session = Session.objects.create(
            course=course, number=number, planned_date=began.date(),
            phase=f"Induction {number} of 6", status=SessionStatus.SIGNED,
            checked_in_at=began - timedelta(minutes=15), checked_in_by=prescriber.user,
            checkin={"escort_present": True, "no_driving_ack": True},
            discharged_at=began + timedelta(minutes=75), discharged_by=prescriber.user,
            signed_at=began + timedelta(minutes=80), signed_by=prescriber.user)
        Dose.objects.create(
            session=session, drug=protocol.drug, route=protocol.route, dose_mg=dose_mg,
            prescribed_mg=Decimal(str(dose.prescribed_mg)),
            mg_per_kg=Decimal(str(dose.mg_per_kg)), weight_kg=weight_kg,
            concentration_mg_ml=CONCENTRATION_MG_ML, volume_ml=Decimal(str(dose.volume_ml)),
            lot="KET-23H02", expiry=began.date()
            + timedelta(days=365), started_at=began,
            stopped_at=began + timedelta(minutes=protocol.infusion_min or 40),
            given_by=prescriber.user)
        _past_vitals(session, began, protocol.vitals_minutes, prescriber)
    return course


def _past_vitals(session: Session, began: datetime, minutes: tuple[int, ...],
                 staff: Staff) -> None:
    """Pre-dose and monitoring vitals of a past session: a signed note is complete, so its
    page shows every scheduled reading taken (not missed)."""
    sbp, dbp, hr = PREDOSE
    readings = [(VitalsPhase.PREDOSE, None, 0)] + [
        (VitalsPhase.MONITORING, m, RISE_BY_MINUTE.get(m, 0)) for m in minutes]
    VitalSigns.objects.bulk_create(
        VitalSigns(session=session, phase=phase, minute=minute,
                   taken_at=began + timedelta(minutes=-10 if minute is None else minute),
                   sbp=sbp + rise + session.number % 3, dbp=dbp + rise // 2, hr=hr + rise // 3,
                   spo2=98, rr=14, recorded_by=staff.user)
        for phase, minute, rise in readings)
