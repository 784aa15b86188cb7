"""The end-of-induction decision on a course (issue 14 item 8; the rule is
`ketacare.clinical.induction_review`): what the course page shows, the action a
prescriber uses to record it, and the check that keeps a maintenance session from
starting before it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.clinical import induction_review as rule

from .models import Course, CourseStatus, Session, SessionStatus

OPEN = (SessionStatus.PLANNED, SessionStatus.IN_PROGRESS)


@dataclass(frozen=True)
class ReviewState:
    applies: bool
    ready: bool  # no induction session still open
    decision: str  # "" until recorded
    decision_label: str
    course: Course


def state(course: Course) -> ReviewState:
    protocol = course.protocol()
    sessions = [(s.phase, s.status in OPEN) for s in course.sessions.all()]
    return ReviewState(
        applies=rule.applies(protocol),
        ready=rule.ready(protocol, sessions),
        decision=course.induction_review,
        decision_label=rule.DECISIONS.get(course.induction_review, ""),
        course=course,
    )


def check_session_may_start(session: Session) -> None:
    """Refuse to start a maintenance session before the end-of-induction decision."""
    course = session.course
    why = rule.blocked(course.protocol(), session.phase, course.induction_review)
    if why:
        raise ValidationError(why)


@transaction.atomic
def record_induction_review(
    staff: Staff,
    course: Course,
    decision: str,
    reason: str,
    *,
    request: HttpRequest | None = None,
) -> Course:
    """A prescriber's decision at the end of induction. "stop" ends the course and
    cancels its remaining maintenance sessions (kept, with the reason)."""
    staff.require(Perm.SIGN_ORDERS)
    staff.require_own(course.patient.clinic_id)
    course = Course.objects.select_for_update().get(pk=course.pk)
    protocol = course.protocol()
    if not rule.applies(protocol):
        raise ValidationError("This course's protocol has no end-of-induction review.")
    if course.induction_review:
        raise ValidationError("The end-of-induction decision is already recorded.")
    if course.status != CourseStatus.ACTIVE:
        raise ValidationError(f"This course is {course.get_status_display().lower()}.")
    errors: dict[str, str] = {}
    if decision not in rule.DECISIONS:
        errors["decision"] = f"Choose one of: {', '.join(rule.DECISIONS)}."
    if not reason.strip():
        errors["reason"] = "Say what the review found (e.g. the change in scores)."
    if errors:
        raise ValidationError(errors)
    if not state(course).ready:
        raise ValidationError("Induction is not over: an induction session is still planned "
                              "or in progress.")
    course.induction_review = decision
    course.induction_review_reason = reason.strip()
    course.induction_review_by, course.induction_review_at = staff.user, timezone.now()
    fields = ["induction_review", "induction_review_reason", "induction_review_by",
              "induction_review_at"]
    if decision == "stop":
        why = "End-of-induction review: stop"
        for session in course.sessions.filter(status=SessionStatus.PLANNED):
            if rule.is_maintenance(protocol, session.phase):
                session.status, session.status_reason = SessionStatus.CANCELLED, why
                session.save(update_fields=["status", "status_reason"])
        course.status, course.status_reason = CourseStatus.STOPPED, why
        fields += ["status", "status_reason"]
    course.save(update_fields=fields)
    record_patient(staff, Action.UPDATE, course.patient_id, course, request=request,
                   detail={"induction_review": decision})
    return course
