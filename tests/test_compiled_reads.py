"""Reads compiled once per process (ketacare.compiled_reads) return what the queryset
returns, for every key, on the database the suite runs on (SQLite and PostgreSQL in CI)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Model, QuerySet
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from ketacare.compiled_reads import CompiledRead, CompiledValues, keep_as_prefetched
from ketacare.consent.models import ConsentDocument
from ketacare.patients.models import Diagnosis, Medication, Patient, Screening, Weight
from ketacare.selfreport.models import Response
from ketacare.treatment.models import ClinicalAlert, Dose, Session, VitalSigns, VitalsPhase


def _rows(objs: list[Any]) -> list[dict[str, Any]]:
    """Every column of every row, as the model holds it after the read (converted values:
    decimals, dates, JSON)."""
    return [{f.attname: getattr(o, f.attname) for f in o._meta.concrete_fields} for o in objs]


@pytest.mark.parametrize("model", [Weight, Diagnosis, Medication, Screening, Response])
def test_each_patients_rows_equal_the_querysets_in_its_order(demo, model: type[Model]) -> None:
    read = CompiledRead(lambda patient_id: model._default_manager.filter(patient_id=patient_id))
    patients = list(Patient.objects.all())
    seen = 0
    for patient in patients:
        rows = read(patient.pk)
        expected = list(model._default_manager.filter(patient=patient))
        assert _rows(rows) == _rows(expected)
        assert all(r._state.db == "default" and not r._state.adding for r in rows)
        seen += len(rows)
    assert seen > 0, f"the demo has no {model.__name__} rows: the test would prove nothing"


def test_integer_keys_and_a_key_with_no_rows(demo) -> None:
    read = CompiledRead(lambda clinic_id: ConsentDocument.objects.filter(clinic_id=clinic_id))
    for clinic in demo.values():
        assert _rows(read(clinic.pk)) == _rows(list(ConsentDocument.objects.filter(clinic=clinic)))
    assert read(10**9) == []


def test_the_shape_is_compiled_once_and_each_call_is_one_statement(demo) -> None:
    built: list[object] = []

    def build(session_id: object) -> QuerySet[VitalSigns]:
        built.append(session_id)
        return VitalSigns.objects.filter(session_id=session_id)

    read = CompiledRead(build)
    sessions = list(Session.objects.filter(vitals__isnull=False).distinct()[:5])
    assert len(sessions) >= 2
    with CaptureQueriesContext(connection) as queries:
        for session in sessions:
            assert _rows(read(session.pk)) == _rows(list(session.vitals.all()))
    assert len(built) == 1 and built[0] != sessions[0].pk  # compiled with a marker key
    reads = [q for q in queries.captured_queries if "treatment_vitalsigns" in q["sql"]]
    assert len(reads) == len(sessions) * 2  # one statement per call, one per queryset


def test_two_keys_bind_where_each_sits(demo) -> None:
    read = CompiledRead(lambda session_id, vitals_id: VitalSigns.objects.filter(
        session_id=session_id).exclude(pk=vitals_id))
    reading = VitalSigns.objects.order_by("pk").first()
    assert reading is not None
    others = list(VitalSigns.objects.filter(session_id=reading.session_id)
                  .exclude(pk=reading.pk))
    assert others
    assert _rows(read(reading.session_id, reading.pk)) == _rows(others)


def test_a_key_on_a_small_integer_column(demo) -> None:
    """Session.number is a 32-bit column: Django refuses a lookup outside its range, so
    the marker keys must lie inside it."""
    read = CompiledRead(lambda course_id, number: Session.objects.filter(
        course_id=course_id, number=number))
    session = Session.objects.order_by("pk").last()
    assert session is not None
    assert _rows(read(session.course_id, session.number)) == _rows([session])
    assert read(session.course_id, 10_000) == []


def test_select_related_rows_come_with_the_read(demo) -> None:
    read = CompiledRead(lambda pk: Session.objects.select_related("course__patient", "dose")
                        .filter(pk=pk))
    sessions = list(Session.objects.order_by("pk"))
    dosed = [s for s in sessions if hasattr(s, "dose")]
    assert dosed and len(dosed) < len(sessions)
    for session in [dosed[0], next(s for s in sessions if not hasattr(s, "dose"))]:
        [row] = read(session.pk)
        with CaptureQueriesContext(connection) as queries:
            course, patient = row.course, row.course.patient
            dose = getattr(row, "dose", None)
        assert len(queries) == 0
        assert _rows([row, course, patient]) == _rows([session, session.course,
                                                      session.course.patient])
        assert _rows([dose] if dose else []) == _rows(
            [session.dose] if hasattr(session, "dose") else [])


@pytest.mark.parametrize("build", [
    lambda pk: Weight.objects.filter(patient_id=pk).annotate(n=Count("pk")),
    lambda pk: Weight.objects.filter(patient_id=pk).values("weight_kg"),
    lambda pk: Weight.objects.filter(patient_id=pk).prefetch_related("recorded_by"),
], ids=["annotate", "values", "prefetch_related"])
def test_a_read_that_is_not_plain_is_refused(demo, build: Any) -> None:
    patient = Patient.objects.first()
    assert patient is not None
    with pytest.raises(TypeError, match="not a model read"):
        CompiledRead(build)(patient.pk)


def test_a_key_the_query_does_not_use_is_refused(demo) -> None:
    patient = Patient.objects.first()
    assert patient is not None
    with pytest.raises(TypeError, match="not parameters"):
        CompiledRead(lambda pk: Weight.objects.all())(patient.pk)


def test_a_key_of_another_type_is_refused(demo) -> None:
    patient = Patient.objects.first()
    assert patient is not None
    read = CompiledRead(lambda pk: Weight.objects.filter(patient_id=pk))
    with pytest.raises(TypeError, match="an int or a UUID, not str"):
        read(str(patient.pk))


def test_deferred_columns_and_keys_in_an_in_list(demo) -> None:
    """The people a page names: users by id, their password and other columns deferred,
    keyed by however many ids the page has (compiled once for each number of keys)."""
    users = get_user_model()
    built: list[int] = []

    def build(*ids: object) -> QuerySet[Any]:
        built.append(len(ids))
        return users._default_manager.filter(pk__in=ids).defer("password", "email")

    read = CompiledRead(build)
    ids = sorted(users._default_manager.values_list("pk", flat=True))
    assert len(ids) >= 4
    for n in (1, 2, 3, 2, 1, len(ids)):
        keys = ids[-n:]
        rows = read(*keys)
        expected = list(build(*keys))
        built.pop()  # that build was the expectation's, not the read's
        assert [(u.pk, u.username, u.first_name, u.last_name) for u in rows] == [
            (u.pk, u.username, u.first_name, u.last_name) for u in expected]
        assert all(u.get_deferred_fields() == {"password", "email"} for u in rows)
    assert sorted(built) == sorted({1, 2, 3, len(ids)})  # one compile per number of keys
    assert read(10**9, 10**9 + 1) == []


def test_values_rows_equal_the_querysets_tuples_across_joins(demo) -> None:
    """A values_list through two joins (what a chart's dose marks read): the same tuples,
    converted alike (an aware datetime, an int, a Decimal), in the same order."""
    def build(patient_id: object) -> QuerySet[Any]:
        return (Dose.objects.filter(session__course__patient_id=patient_id)
                .order_by("started_at").values_list("started_at", "session__number", "dose_mg"))

    read = CompiledValues(build)
    seen = 0
    for patient in Patient.objects.all():
        rows = read(patient.pk)
        assert rows == list(build(patient.pk))
        seen += len(rows)
    assert seen > 0, "the demo has no doses: the test would prove nothing"
    at, number, mg = next(r for p in Patient.objects.all() for r in read(p.pk))
    assert at.tzinfo is not None and isinstance(number, int) and isinstance(mg, Decimal)


@pytest.mark.parametrize("build", [
    lambda pk: Weight.objects.filter(patient_id=pk).values_list("weight_kg", flat=True),
    lambda pk: Weight.objects.filter(patient_id=pk).values_list("weight_kg", named=True),
    lambda pk: Weight.objects.filter(patient_id=pk).values("weight_kg"),
    lambda pk: Weight.objects.filter(patient_id=pk),
], ids=["flat", "named", "values", "models"])
def test_a_values_read_that_is_not_plain_tuples_is_refused(demo, build: Any) -> None:
    patient = Patient.objects.first()
    assert patient is not None
    with pytest.raises(TypeError, match="not a values_list read"):
        CompiledValues(build)(patient.pk)


def test_kept_rows_serve_the_related_manager_and_its_filters(demo) -> None:
    session = Session.objects.filter(vitals__phase=VitalsPhase.PREDOSE).first()
    assert session is not None
    rows = CompiledRead(lambda pk: VitalSigns.objects.filter(session_id=pk))(session.pk)
    keep_as_prefetched(session, "vitals", rows)
    with CaptureQueriesContext(connection) as queries:
        kept = list(session.vitals.all())
        assert all(v.session is session for v in kept)
    assert kept == rows and len(queries) == 0
    predose = list(session.vitals.filter(phase=VitalsPhase.PREDOSE))
    assert predose and {v.session_id for v in predose} == {session.pk}
    assert [model_to_dict(v) for v in predose] == [
        model_to_dict(v) for v in VitalSigns.objects.filter(session=session,
                                                            phase=VitalsPhase.PREDOSE)]


def test_kept_alerts_take_a_nested_prefetch(demo) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import prefetch_related_objects
    from django.utils import timezone

    session = Session.objects.filter(dose__isnull=False).first()
    assert session is not None
    staff = list(get_user_model().objects.order_by("pk")[:3])
    for code, recipients in (("bp-high", staff[:2]), ("spo2-low", staff[1:])):
        alert = ClinicalAlert.objects.create(session=session, kind="vitals", code=code,
                                             message=code, raised_at=timezone.now(),
                                             raised_by=staff[0])
        alert.recipients.set(recipients)
    rows = CompiledRead(lambda pk: ClinicalAlert.objects.filter(session_id=pk))(session.pk)
    keep_as_prefetched(session, "clinical_alerts", rows)
    prefetch_related_objects(list(session.clinical_alerts.all()), "recipients")
    with CaptureQueriesContext(connection) as queries:
        recipients = {a.pk: sorted(u.pk for u in a.recipients.all())
                      for a in session.clinical_alerts.all()}
    assert len(queries) == 0 and len(recipients) == 2
    assert recipients == {a.pk: sorted(a.recipients.values_list("pk", flat=True))
                          for a in ClinicalAlert.objects.filter(session=session)}
