"""`ketacare demo --patients N`: N bulk synthetic patients in Demo Clinic, for load tests
and benchmarks (issue 17 item 1).

Every patient gets a revision, a primary diagnosis and a weight; a tenth (every tenth MRN)
is in treatment: a completed six-infusion IV induction with doses from the dose
calculator, pre-dose and monitoring vitals, and a weekly PHQ-9 falling over the course.
Rows are written with `bulk_create` in batches inside one transaction, not through the
actions (the demo builders are the allowed exception), so there is no audit entry per row:
instead one honest entry says how many synthetic patients were generated, by whom and
under which MRNs, and the trail stays verifiable. Re-running adds N more (new MRNs).
Seeded: the same N from the same starting MRN gives the same people.
"""

from __future__ import annotations

import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from faker import Faker
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ketacare.accounts.models import Clinic
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical import dosing
from ketacare.clinical.instruments import get
from ketacare.patients.models import Diagnosis, Patient, PatientRevision, Status, Weight
from ketacare.selfreport.models import ReportRequest, Response, Source
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

from . import staff as demo_staff
from .profiles import DEMO, PRIMARY_CODES, SEED
from .treatment import CONCENTRATION_MG_ML

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MRN_PREFIX = "SY-"
BATCH = 2_000
TREATED_EVERY = 10  # a tenth of the patients are in treatment
SESSIONS = 6
# Minutes after the dose start at which monitoring vitals are taken.
MONITORING_MIN = (15, 40, 60)
STATUSES = (Status.REFERRED, Status.SCREENING, Status.MAINTENANCE, Status.DISCHARGED)
CONDITIONS = (("depression", 6), ("ptsd", 2), ("anxiety", 2))


@dataclass
class Rows:
    """One batch's rows, in insert order (children after their parents)."""

    patients: list[Patient] = field(default_factory=list)
    revisions: list[PatientRevision] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    weights: list[Weight] = field(default_factory=list)
    treated: list[tuple[Patient, Decimal, date]] = field(default_factory=list)


@dataclass
class Counts:
    patients: int = 0
    courses: int = 0
    sessions: int = 0
    responses: int = 0


class Generator:
    """Draws patients from name pools made once by Faker (Faker per row would dominate)."""

    def __init__(self, clinic: Clinic, users: dict[str, User], first_number: int) -> None:
        self.clinic = clinic
        self.zone = ZoneInfo(clinic.time_zone)
        self.today = clinic.today()
        self.admin = users["demo-admin"]
        self.nurse = users["demo-nurse"]
        self.prescriber = users["demo-prescriber"]
        self.rng = random.Random(f"{SEED}-population-{first_number}")  # noqa: S311 (reproducible)
        fake = Faker("en_US")
        fake.seed_instance(SEED + first_number)
        self.female = sorted({fake.first_name_female() for _ in range(600)})
        self.male = sorted({fake.first_name_male() for _ in range(600)})
        self.family = sorted({fake.last_name() for _ in range(1500)})
        self.protocol_row = ClinicProtocol.objects.get(clinic=clinic, key="iv-induction")
        self.protocol = self.protocol_row.protocol()
        self.phq9 = get("phq9")

    def batch(self, numbers: range) -> Rows:
        rows = Rows()
        for number in numbers:
            self._patient(number, rows)
        return rows

    def _patient(self, number: int, rows: Rows) -> None:
        rng = self.rng
        treated = number % TREATED_EVERY == 0
        female = rng.random() < 0.6
        given = rng.choice(self.female if female else self.male)
        family = rng.choice(self.family)
        condition = rng.choices([c for c, _ in CONDITIONS], [w for _, w in CONDITIONS])[0]
        code, description, _ = rng.choice(PRIMARY_CODES[condition])
        patient = Patient(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), clinic=self.clinic,
            mrn=f"{MRN_PREFIX}{number:07d}", given_name=given, family_name=family,
            date_of_birth=self.today - timedelta(days=rng.randint(20 * 365, 72 * 365)),
            sex_at_birth="female" if female else "male",
            email=f"{given.lower()}.{family.lower()}{number}@example.org".replace("'", ""),
            mobile=f"(555) 555-{number % 10_000:04d}",
            height_cm=Decimal(f"{rng.gauss(163 if female else 177, 7):.1f}"),
            status=Status.ACTIVE if treated else rng.choice(STATUSES),
            primary_condition=condition)
        rows.patients.append(patient)
        rows.revisions.append(PatientRevision(
            patient=patient, version=1, reason="created", changed_by=self.admin,
            data={"mrn": patient.mrn, "given_name": given, "family_name": family,
                  "date_of_birth": patient.date_of_birth.isoformat(),
                  "sex_at_birth": patient.sex_at_birth, "status": patient.status}))
        rows.diagnoses.append(Diagnosis(patient=patient, recorded_by=self.prescriber,
                                        icd10_code=code, description=description,
                                        primary=True, condition=condition))
        kg = Decimal(f"{min(max(rng.gauss(80, 15), 45), 140):.1f}")
        weighed_on = self.today - timedelta(days=rng.randint(0, 60))
        rows.weights.append(Weight(patient=patient, recorded_by=self.nurse, weight_kg=kg,
                                   measured_on=weighed_on))
        if treated:
            rows.treated.append((patient, kg, weighed_on))

    def treatment(self, rows: Rows, counts: Counts) -> None:
        """Courses, sessions, doses, vitals and questionnaires of the batch's treated."""
        courses, plans = [], []
        for patient, kg, weighed_on in rows.treated:
            start = self.today - timedelta(days=self.rng.randint(20, 120))
            courses.append(Course(
                patient=patient, clinic_protocol=self.protocol_row,
                protocol_data=self.protocol.as_dict(), indication="Depression, induction series",
                start_date=start, weekdays=sorted({(start.weekday() + o) % 7 for o in (0, 2, 4)}),
                status=CourseStatus.COMPLETED, started_by=self.prescriber))
            dose = dosing.calculate_dose(self.protocol, weight_kg=float(kg),
                                         weight_measured_on=weighed_on, today=weighed_on,
                                         concentration_mg_ml=float(CONCENTRATION_MG_ML))
            plans.append((start, kg, dose))
        Course.objects.bulk_create(courses, batch_size=BATCH)
        sessions: list[Session] = []
        for course, (start, _, _) in zip(courses, plans, strict=True):
            for n in range(1, SESSIONS + 1):
                day = start + timedelta(days=2 * (n - 1) + (n - 1) // 3)
                began = datetime.combine(day, time(9, 30), tzinfo=self.zone)
                sessions.append(Session(
                    course=course, number=n, planned_date=day,
                    phase=f"Induction {n} of {SESSIONS}", status=SessionStatus.SIGNED,
                    checked_in_at=began - timedelta(minutes=15), checked_in_by=self.nurse,
                    checkin={"escort_present": True, "no_driving_ack": True},
                    discharged_at=began + timedelta(minutes=75), discharged_by=self.nurse,
                    signed_at=began + timedelta(minutes=80), signed_by=self.prescriber))
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        self._doses_and_vitals(sessions, plans)
        counts.responses += self._questionnaires(courses, plans)
        counts.courses += len(courses)
        counts.sessions += len(sessions)

    def _doses_and_vitals(self, sessions: list[Session], plans: list[Any]) -> None:
        doses, vitals = [], []
        for i, session in enumerate(sessions):
            _, kg, dose = plans[i // SESSIONS]
            assert session.checked_in_at is not None
            began = session.checked_in_at + timedelta(minutes=15)
            doses.append(Dose(
                session=session, drug=self.protocol.drug, route=self.protocol.route,
                dose_mg=Decimal(str(dose.dose_mg)), prescribed_mg=Decimal(str(dose.prescribed_mg)),
                mg_per_kg=Decimal(str(dose.mg_per_kg)), weight_kg=kg,
                concentration_mg_ml=CONCENTRATION_MG_ML, volume_ml=Decimal(str(dose.volume_ml)),
                lot="KET-23H02", expiry=began.date() + timedelta(days=365), started_at=began,
                stopped_at=began + timedelta(minutes=self.protocol.infusion_min or 40),
                given_by=self.nurse))
            for phase, minute in [(VitalsPhase.PREDOSE, None)] + [
                    (VitalsPhase.MONITORING, m) for m in MONITORING_MIN]:
                vitals.append(VitalSigns(
                    session=session, phase=phase, minute=minute,
                    taken_at=began + timedelta(minutes=minute if minute is not None else -10),
                    sbp=self.rng.randint(108, 142), dbp=self.rng.randint(66, 90),
                    hr=self.rng.randint(60, 96), spo2=self.rng.randint(95, 100),
                    rr=self.rng.randint(12, 18), recorded_by=self.nurse))
        Dose.objects.bulk_create(doses, batch_size=BATCH)
        VitalSigns.objects.bulk_create(vitals, batch_size=BATCH)

    def _questionnaires(self, courses: list[Course], plans: list[Any]) -> int:
        """A weekly PHQ-9 from a week before the course to its end, falling for about
        half (clinical reference s.6: about half respond)."""
        requests, responses = [], []
        for course, (start, _, _) in zip(courses, plans, strict=True):
            baseline = self.rng.randint(14, 24)
            final = baseline * (self.rng.uniform(0.15, 0.45) if self.rng.random() < 0.55
                                else self.rng.uniform(0.7, 1.0))
            for week in range(4):
                day = start + timedelta(days=7 * week - 7)
                total = round(baseline + (final - baseline) * week / 3)
                values = self._values(total)
                when = datetime.combine(day, time(19, 0), tzinfo=self.zone)
                req = ReportRequest(
                    clinic=self.clinic, patient=course.patient, course=course,
                    instrument="phq9", kind="manual", source=Source.MANUAL, opens_on=day,
                    closes_on=day, expires_at=when + timedelta(days=3), sent_at=when,
                    completed_at=when)
                result = self.phq9.score(tuple(values))
                requests.append(req)
                responses.append(Response(
                    request=req, patient=course.patient, instrument="phq9", values=values,
                    total=result.total, severity=result.severity or "",
                    flags=[f.code for f in result.flags], extras=dict(result.extras),
                    submitted_at=when, source=Source.MANUAL))
        ReportRequest.objects.bulk_create(requests, batch_size=BATCH)
        Response.objects.bulk_create(responses, batch_size=BATCH)
        return len(responses)

    def _values(self, total: int) -> list[int]:
        """Nine PHQ-9 answers adding up to `total`, item 9 kept at 0 (no alerts)."""
        values = [0] * 9
        for _ in range(min(total, 24)):
            values[self.rng.choice([n for n in range(8) if values[n] < 3])] += 1
        return values


def generate(n: int, users: dict[str, User]) -> int:
    """Adds `n` synthetic patients to Demo Clinic (`users`: the demo staff by username);
    returns how many were added."""
    clinic = Clinic.objects.get(name=DEMO.name)
    last = (Patient.objects.filter(clinic=clinic, mrn__startswith=MRN_PREFIX)
            .order_by("-mrn").values_list("mrn", flat=True).first())
    first_number = int(last.removeprefix(MRN_PREFIX)) + 1 if last else 1
    gen = Generator(clinic, users, first_number)
    counts = Counts()
    console = Console(file=sys.stderr)
    columns = (TextColumn("Synthetic patients"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with transaction.atomic(), Progress(*columns, console=console,
                                        disable=not console.is_terminal) as progress:
        task = progress.add_task("patients", total=n)
        for start in range(first_number, first_number + n, BATCH):
            rows = gen.batch(range(start, min(start + BATCH, first_number + n)))
            Patient.objects.bulk_create(rows.patients)
            PatientRevision.objects.bulk_create(rows.revisions)
            Diagnosis.objects.bulk_create(rows.diagnoses)
            Weight.objects.bulk_create(rows.weights)
            gen.treatment(rows, counts)
            counts.patients += len(rows.patients)
            progress.update(task, advance=len(rows.patients))
        admin = demo_staff.as_staff(users, clinic, "demo-admin")
        _audit(admin, first_number, counts)
    _analyze()
    return counts.patients


def _analyze() -> None:
    """Refresh the query planner's statistics after the bulk load, as after any bulk
    import: until autovacuum comes by (never, on SQLite) the planner still sees the tables
    as they were, and plans reads of a 100,000-patient clinic as reads of an empty one.

    On PostgreSQL, outside a transaction, VACUUM too: it marks the new pages all-visible,
    which lets a count of the clinic's patients read the clinic index alone (an
    index-only scan: 9 ms instead of a 27-35 ms scan of the table at 100,000 patients,
    issue 17). Autovacuum would do the same, minutes later."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")


def _audit(admin: Staff, first_number: int, counts: Counts) -> None:
    """One entry for the whole generation: the rows skipped the actions, not the trail."""
    last_number = first_number + counts.patients - 1
    record(Action.CREATE, user=admin.user, role=admin.role_label, clinic_id=admin.clinic.pk,
           object_type="synthetic_patients",
           object_id=f"{MRN_PREFIX}{first_number:07d}..{MRN_PREFIX}{last_number:07d}",
           detail={"generated_by": "ketacare demo --patients", "patients": counts.patients,
                   "courses": counts.courses, "sessions": counts.sessions,
                   "questionnaire_responses": counts.responses})
