"""REMS data for the demo clinic (issue 14 item 7): at least one esketamine course with
session 1 today (started for a patient approved for esketamine if the treatment demo
started none),
and every patient with an esketamine course enrolled in the Spravato REMS a week before
the course began, so a nurse can walk the session day and the REMS form. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from ketacare.accounts.staff import Staff
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.patients.models import Patient
from ketacare.treatment import actions
from ketacare.treatment.demo import COURSES
from ketacare.treatment.models import ClinicProtocol, Course

from . import enrollment


def _start_one(prescriber: Staff) -> None:
    clinic = prescriber.clinic
    key, offsets = COURSES[ESKETAMINE_ROUTE]
    today = clinic.today()
    # A patient in treatment whose esketamine screening was approved and who has no
    # running course (e.g. after an IV series): a new esketamine course from today.
    candidates = Patient.objects.filter(clinic=clinic, status__in=["active", "maintenance"]
                                        ).exclude(courses__status="active")
    for patient in candidates.order_by("mrn"):
        if actions.eligibility_for(patient, ESKETAMINE_ROUTE)[0]:
            actions.start_course(
                prescriber, patient, ClinicProtocol.objects.get(clinic=clinic, key=key),
                indication="Treatment-resistant depression", start_date=today,
                weekdays=frozenset((today.weekday() + o) % 7 for o in offsets))
            return


def populate(prescriber: Staff) -> int:
    clinic = prescriber.clinic
    courses = Course.objects.filter(patient__clinic=clinic,
                                    protocol_data__route=ESKETAMINE_ROUTE)
    if not courses.exists():
        _start_one(prescriber)
    enrolled = 0
    for course in courses.select_related("patient"):
        if enrollment.enrollment_of(course.patient) is not None:
            continue
        enrollment.enroll(prescriber, course.patient,
                          enrolled_on=min(course.start_date - timedelta(days=7), clinic.today()))
        enrolled += 1
    return enrolled
