"""A session's own creation time (migration treatment 0006): sessions that existed before
it take their course's creation time, new ones the time they are made, and the FHIR
Encounter's _lastUpdated reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ketacare.interop.fhir.resources.encounter import last_updated
from ketacare.treatment import actions
from ketacare.treatment.models import Course, Session

from .conftest import next_monday, protocol

BEFORE = [("treatment", "0005_dose_dose_updated_vitalsigns_vitals_taken_at")]
LAST = [("treatment", "0006_session_created_at")]


def start(prescriber, patient, clinic) -> Course:  # type: ignore[no-untyped-def]
    return actions.start_course(prescriber, patient, protocol(clinic, "iv-induction"),
                                indication="TRD", start_date=next_monday(),
                                weekdays=frozenset({0, 2, 4}))


@pytest.mark.django_db(transaction=True)
def test_existing_sessions_take_their_course_creation_time(
        prescriber, ready_patient, clinic_a) -> None:
    course = start(prescriber, ready_patient, clinic_a)
    made = datetime(2025, 5, 4, 3, 2, 1, tzinfo=UTC)
    Course.objects.filter(pk=course.pk).update(created_at=made)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor = MigrationExecutor(connection)  # the graph as it now stands
    executor.migrate(LAST)
    sessions = Session.objects.filter(course=course).select_related("course")
    assert len(sessions) == 6
    assert {s.created_at for s in sessions} == {made}
    assert {last_updated(s) for s in sessions} == {made}  # planned: nothing else happened


@pytest.mark.django_db
def test_new_sessions_are_stamped_when_made(prescriber, ready_patient, clinic_a) -> None:
    before = timezone.now()
    course = start(prescriber, ready_patient, clinic_a)
    after = timezone.now()
    stamps = list(Session.objects.filter(course=course).values_list("created_at", flat=True))
    assert len(stamps) == 6 and all(before <= t <= after for t in stamps)
