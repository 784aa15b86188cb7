"""Opening the new-course page never writes (design: no writes outside actions, never on
GET). A fresh clinic with no protocols of its own is offered the shipped ones; starting a
first course copies them into the clinic inside the same transaction (audited), so a
prescriber still starts a first course in one step."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.audit.models import AuditEvent
from ketacare.clinical import protocols
from ketacare.treatment.models import ClinicProtocol, Course

from .conftest import next_monday

pytestmark = pytest.mark.django_db


def protocol_writes(queries: CaptureQueriesContext) -> list[str]:
    table = ClinicProtocol._meta.db_table
    return [q["sql"] for q in queries.captured_queries
            if table in q["sql"]
            and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_get_in_a_fresh_clinic_writes_no_protocol(client, prescriber_a, ready_patient,
                                                  clinic_a) -> None:
    client.force_login(prescriber_a)
    url = f"/treatment/patients/{ready_patient.pk}/courses/new/"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert protocol_writes(queries) == []
    assert ClinicProtocol.objects.filter(clinic=clinic_a).count() == 0
    body = response.content.decode()
    assert 'value="iv-induction"' in body and "IV ketamine induction" in body
    assert "IV ketamine induction (6 infusions): eligible" in body


def test_first_course_in_a_fresh_clinic_copies_the_shipped_protocols(
        client, prescriber_a, ready_patient, clinic_a) -> None:
    client.force_login(prescriber_a)
    url = f"/treatment/patients/{ready_patient.pk}/courses/new/"
    response = client.post(url, {"protocol": "iv-induction", "indication": "TRD",
                                 "start_date": next_monday().isoformat(),
                                 "weekdays": ["0", "2", "4"]})
    assert response.status_code == 302
    course = Course.objects.get()
    assert course.clinic_protocol.key == "iv-induction"
    assert course.clinic_protocol.clinic_id == clinic_a.pk
    copied = set(ClinicProtocol.objects.filter(clinic=clinic_a).values_list("key", flat=True))
    assert copied == set(protocols.DEFAULT_PROTOCOLS)
    assert AuditEvent.objects.filter(object_type="clinicprotocol").count() == len(copied)
    # From now on the page lists the clinic's own protocols (by id), still without writing.
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert protocol_writes(queries) == []
    assert f'value="{course.clinic_protocol.pk}"' in body and 'value="iv-induction"' not in body


def test_a_failed_first_course_copies_nothing(client, prescriber_a, patient_a,
                                              clinic_a) -> None:
    client.force_login(prescriber_a)
    response = client.post(f"/treatment/patients/{patient_a.pk}/courses/new/", {
        "protocol": "iv-induction", "indication": "TRD",
        "start_date": next_monday().isoformat(), "weekdays": ["0", "2", "4"]})
    assert response.status_code == 200 and "No screening for iv yet." in response.content.decode()
    assert not ClinicProtocol.objects.filter(clinic=clinic_a).exists()


def test_a_shipped_key_is_refused_once_the_clinic_has_protocols(
        client, prescriber_a, admin_a, ready_patient, clinic_a) -> None:
    client.force_login(admin_a)
    assert client.post("/treatment/protocols/use/esketamine/").status_code == 302
    client.force_login(prescriber_a)
    response = client.post(f"/treatment/patients/{ready_patient.pk}/courses/new/", {
        "protocol": "iv-induction", "indication": "TRD",
        "start_date": next_monday().isoformat(), "weekdays": ["0", "2", "4"]})
    assert response.status_code == 200 and not Course.objects.exists()
    assert list(ClinicProtocol.objects.filter(clinic=clinic_a).values_list("key", flat=True)) \
        == ["esketamine"]
