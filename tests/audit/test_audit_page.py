"""The audit page: clinic admins only, their own clinic only, filters by POST."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from ketacare.accounts.staff import staff_for
from ketacare.audit.log import patient_ids, record, record_reads
from ketacare.audit.models import PATIENT_IDS, Action, AuditEvent
from ketacare.patients.models import Patient

URL = "audit-list"


@pytest.fixture
def trail(audit, clinic_a, clinic_b, admin_a, prescriber_a, nurse_a, admin_b, patient_a,
          patient_b):
    """Entries of both clinics; patients in both clinics share the MRN."""
    at = datetime(2024, 3, 1, 4, tzinfo=UTC)  # 23:00 on 29 February in New York
    return {
        "a_view": audit.record_at(at, Action.VIEW, user=prescriber_a, role="prescriber",
                                  clinic_id=clinic_a.pk, patient_id=patient_a.pk,
                                  obj=patient_a),
        "a_update": audit.record_at(at + timedelta(hours=2), Action.UPDATE, user=nurse_a,
                                    role="nurse", clinic_id=clinic_a.pk,
                                    patient_id=patient_a.pk, obj=patient_a),
        "a_search": audit.record_at(at + timedelta(days=2), Action.SEARCH, user=nurse_a,
                                    role="nurse", clinic_id=clinic_a.pk,
                                    object_type="patient"),
        "b_view": audit.record_at(at, Action.VIEW, user=admin_b, role="admin",
                                  clinic_id=clinic_b.pk, patient_id=patient_b.pk,
                                  obj=patient_b),
    }


def shown(response) -> set[int]:
    """Ids of the entries listed, by the object ids the page shows for them."""
    html = response.content.decode()
    return {int(n) for n in re.findall(r'data-entry="(\d+)"', html)}


def post(client, **filters):
    return client.post(reverse(URL), filters)


def test_admin_sees_only_own_clinic(audit, client, admin_a, trail):
    response = audit.sign_in(client, admin_a).get(reverse(URL))
    assert response.status_code == 200
    a_ids = {trail[k].pk for k in ("a_view", "a_update", "a_search")}
    # Plus sign-ins of clinic A's staff (a one-clinic sign-in belongs to that clinic).
    sign_ins = set(AuditEvent.objects.filter(action="sign_in", clinic_id=admin_a.memberships
                                             .get().clinic_id).values_list("id", flat=True))
    assert sign_ins and shown(response) == a_ids | sign_ins
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "audit-prescriber-a" in html and "audit-admin-b" not in html
    assert "Tobias" not in html and "Marisol" not in html  # MRNs only, never names


def test_other_clinics_admin_sees_nothing_of_clinic_a(audit, client, admin_b, trail):
    client = audit.sign_in(client, admin_b)
    own_sign_in = AuditEvent.objects.filter(action="sign_in", user_id=admin_b.pk)
    assert shown(client.get(reverse(URL))) == {trail["b_view"].pk, *own_sign_in.values_list(
        "id", flat=True)}
    # Clinic A's users and clinic A's patient (same MRN) lead to clinic B's entries only.
    assert shown(post(client, username="audit-nurse-a")) == set()
    assert shown(post(client, mrn=audit.mrn)) == {trail["b_view"].pk}


@pytest.mark.parametrize("persona", ["prescriber_a", "nurse_a", "analyst_a"])
def test_other_roles_are_refused(audit, client, trail, persona, request):
    client = audit.sign_in(client, request.getfixturevalue(persona))
    assert client.get(reverse(URL)).status_code == 403
    assert post(client, mrn=audit.mrn).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, trail):
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_filter_by_patient_mrn(audit, client, admin_a, trail, patient_a):
    client = audit.sign_in(client, admin_a)
    response = post(client, mrn=audit.mrn.lower())
    assert shown(response) == {trail["a_view"].pk, trail["a_update"].pk}
    assert audit.mrn in response.content.decode()
    # Looking up a patient's trail is on that patient's trail.
    assert AuditEvent.objects.filter(action=Action.SEARCH, user_id=admin_a.pk,
                                     patient_id=patient_a.pk).count() == 1


def test_filter_by_patient_mrn_finds_the_lists_and_searches_that_named_them(
        audit, client, admin_a, prescriber_a, clinic_a, trail, patient_a):
    """A list page, an API list or a FHIR search writes one entry naming its patients in the
    detail; the patient's trail shows it, their MRN first, then how many more it named."""
    others = [Patient.objects.create(clinic=clinic_a, mrn=f"A-90{i}", given_name="Other",
                                     family_name=f"Patient{i}", date_of_birth=date(1990, 1, 1),
                                     sex_at_birth="male") for i in range(5)]
    staff = staff_for(prescriber_a, clinic_a)
    search = record_reads(staff, Action.SEARCH, None, "fhir:Observation",
                          [(p.pk, f"obs-{n}") for n, p in enumerate([*others, patient_a])],
                          {"via": "fhir"})
    elsewhere = record_reads(staff, Action.SEARCH, None, "fhir:Observation",
                             [(p.pk, "") for p in others], {"via": "fhir"})
    listed = record(Action.VIEW, user=prescriber_a, clinic_id=clinic_a.pk,
                    object_type="patient_list",
                    detail={PATIENT_IDS: patient_ids([patient_a.pk, others[0].pk])})
    response = post(audit.sign_in(client, admin_a), mrn=audit.mrn)
    assert shown(response) == {trail["a_view"].pk, trail["a_update"].pk, search.pk, listed.pk}
    assert elsewhere.pk not in shown(response)
    html = response.content.decode()
    row = re.search(rf'data-entry="{search.pk}">(.*?)</tr>', html, re.S)
    assert row and f"{audit.mrn}, A-900, A-901 +3 more" in row.group(1)
    row = re.search(rf'data-entry="{listed.pk}">(.*?)</tr>', html, re.S)
    assert row and f"{audit.mrn}, A-900<" in row.group(1)


def test_unknown_mrn_is_a_field_error(audit, client, admin_a, trail):
    response = post(audit.sign_in(client, admin_a), mrn="Z-9999")
    assert response.status_code == 200
    assert "No patient with MRN Z-9999 in this clinic." in response.content.decode()
    assert shown(response) == set()


def test_filter_by_user_and_action(audit, client, admin_a, trail):
    client = audit.sign_in(client, admin_a)
    assert shown(post(client, username="AUDIT-NURSE-A")) == {trail["a_update"].pk,
                                                              trail["a_search"].pk}
    assert shown(post(client, username="audit-nurse-a", action="update")) == {
        trail["a_update"].pk}
    assert shown(post(client, action="view")) == {trail["a_view"].pk}


def test_date_range_is_in_the_clinics_zone(audit, client, admin_a, trail):
    client = audit.sign_in(client, admin_a)
    # a_view is 23:00 on 29 February in New York, a_update 01:00 on 1 March.
    assert shown(post(client, date_from="2024-03-01", date_to="2024-03-01")) == {
        trail["a_update"].pk}
    assert shown(post(client, date_to="2024-02-29")) == {trail["a_view"].pk}
    assert shown(post(client, date_from="2024-03-02", date_to="2024-03-10")) == {
        trail["a_search"].pk}
    response = post(client, date_from="2024-03-05", date_to="2024-03-01")
    assert "The end date is before the start date." in response.content.decode()
    assert shown(response) == set()


def test_times_are_shown_in_the_clinics_zone(audit, client, admin_a, trail):
    html = audit.sign_in(client, admin_a).get(reverse(URL)).content.decode()
    assert "2024-02-29 23:00:00" in html
    assert "America/New_York" in html


def test_pages_of_fifty_that_stay_put_while_entries_arrive(audit, client, admin_a, clinic_a):
    for n in range(120):
        record(Action.VIEW, username=f"user{n:03}", clinic_id=clinic_a.pk)
    client = audit.sign_in(client, admin_a)
    first = client.get(reverse(URL))
    page1 = shown(first)
    assert len(page1) == 50
    upto = int(re.search(r'name="upto" value="(\d+)"', first.content.decode())[1])
    searches = AuditEvent.objects.filter(action=Action.SEARCH).count()
    assert searches == 1  # opening the page is recorded ...
    for n in range(5):  # ... and new entries arrive while the admin reads
        record(Action.VIEW, username=f"late{n}", clinic_id=clinic_a.pk)
    page2 = shown(post(client, page="2", upto=str(upto)))
    page3 = shown(post(client, page="3", upto=str(upto)))
    assert len(page2) == 50 and len(page3) == 21  # 120 views and the admin's sign-in
    assert page1 | page2 | page3 == set(
        AuditEvent.objects.filter(clinic_id=clinic_a.pk, id__lte=upto)
        .exclude(action=Action.SEARCH).values_list("id", flat=True))
    # Page turns are not recorded again.
    assert AuditEvent.objects.filter(action=Action.SEARCH).count() == searches
