"""Issue #14 item 10: a probable duplicate (same name and date of birth, another MRN) is a
warning to confirm before creating; a name over the limit is a field message, never a
silent cut."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ketacare.accounts.staff import staff_for
from ketacare.patients import actions
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db

TWIN = {"mrn": "A-0002", "given_name": " jordan ", "family_name": "RIVERA",
        "date_of_birth": date(1985, 4, 12), "sex_at_birth": "female"}


def test_same_name_and_birth_date_needs_confirmation(patient_a, prescriber_a,
                                                     clinic_a) -> None:
    staff = staff_for(prescriber_a, clinic_a)
    with pytest.raises(ValidationError) as err:
        actions.create_patient(staff, dict(TWIN))
    message = err.value.message_dict["confirm_duplicate"][0]
    assert "MRN A-0001" in message and "same name and date of birth" in message
    assert Patient.objects.count() == 1
    created = actions.create_patient(staff, dict(TWIN), confirm_duplicate=True)
    assert created.mrn == "A-0002" and Patient.objects.count() == 2


@pytest.mark.parametrize("change", [
    {"date_of_birth": date(1985, 4, 13)}, {"given_name": "Jordana"}, {"family_name": "Rivers"}])
def test_a_different_name_or_birth_date_is_no_duplicate(patient_a, prescriber_a, clinic_a,
                                                        change) -> None:
    actions.create_patient(staff_for(prescriber_a, clinic_a), {**TWIN, **change})


def test_other_clinics_patients_are_not_matched(patient_a, prescriber_b, clinic_b) -> None:
    actions.create_patient(staff_for(prescriber_b, clinic_b), dict(TWIN))


def test_form_asks_to_confirm_then_creates(client, prescriber_a, patient_a) -> None:
    client.force_login(prescriber_a)
    data = {"mrn": "A-0002", "given_name": "Jordan", "family_name": "Rivera",
            "date_of_birth": "1985-04-12", "sex_at_birth": "female", "status": "referred"}
    empty = client.get("/patients/new/").content.decode()
    assert "confirm_duplicate" not in empty
    body = client.post("/patients/new/", data).content.decode()
    assert "Probable duplicate" in body and "MRN A-0001" in body
    assert 'name="confirm_duplicate"' in body
    response = client.post("/patients/new/", {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="A-0002").exists()


def test_long_name_is_a_field_message_not_a_cut(client, prescriber_a) -> None:
    client.force_login(prescriber_a)
    page = client.get("/patients/new/").content.decode()
    assert 'maxlength="100"' not in page  # the browser would cut a pasted name silently
    long = "A" * 101
    body = client.post("/patients/new/", {
        "mrn": "A-0009", "given_name": "Sam", "family_name": long,
        "date_of_birth": "1990-01-01", "sex_at_birth": "male",
        "status": "referred"}).content.decode()
    assert "Family name is 101 characters; the limit is 100" in body
    assert not Patient.objects.filter(mrn="A-0009").exists()
