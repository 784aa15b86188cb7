"""/clinic/settings/: every clinic setting as a validated form; changes audited with old
and new values; bad input saves nothing."""

from __future__ import annotations

import pytest

from ketacare.accounts.clinic_settings import SETTINGS, form_for
from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditEvent
from ketacare.selfreport.config import for_clinic

pytestmark = pytest.mark.django_db


def _current(clinic: Clinic) -> dict[str, object]:
    data = {k: v for k, v in form_for(clinic).initial.items() if v is not False}
    return {k: ("on" if v is True else v) for k, v in data.items()}


def test_page_shows_every_setting_grouped_with_sources(client, admin_a) -> None:
    client.force_login(admin_a)
    page = client.get("/clinic/settings/").content.decode()
    for s in SETTINGS:
        assert f'name="{s.key}"' in page
    assert "Clinic details" in page and "Patient self-report" in page
    assert "Source: Default: 988" in page


def test_change_is_saved_used_and_audited(client, admin_a, clinic_a) -> None:
    client.force_login(admin_a)
    data = _current(clinic_a)
    data.update({"selfreport_crisis_text": "Call 988 or our line 555-0100.",
                 "require_two_factor": "on", "dea_registration": "AB1234563",
                 "weight_max_age_days": "14", "address": "1 Main St\nSpringfield"})
    response = client.post("/clinic/settings/", data)
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert for_clinic(clinic_a).crisis_text == "Call 988 or our line 555-0100."
    assert clinic_a.settings["require_two_factor"] is True
    assert clinic_a.settings["weight_max_age_days"] == 14
    assert clinic_a.address == "1 Main St\nSpringfield"
    entry = AuditEvent.objects.filter(object_type="clinic").last()
    assert entry is not None
    changes = entry.detail["settings"]
    assert changes["weight_max_age_days"] == {"old": 30, "new": 14}
    assert changes["require_two_factor"] == {"old": False, "new": True}
    assert "name" not in changes  # unchanged values are not logged


@pytest.mark.parametrize(("key", "value", "message"), [
    ("weight_max_age_days", "0", "greater than or equal to 1"),
    ("weight_max_age_days", "ten", "Enter a whole number"),
    ("time_zone", "Mars/Olympus", "is not an IANA time zone"),
    ("dea_registration", "12345", "Two letters and seven digits"),
    ("name", "Clinic B", "Another clinic is called"),
    ("selfreport_crisis_text", "", "This field is required"),
    ("letter_paper", "legal", "Select a valid choice"),
])
def test_bad_input_saves_nothing(client, admin_a, clinic_a, clinic_b, key, value,
                                 message) -> None:
    client.force_login(admin_a)
    data = _current(clinic_a)
    data.update({"selfreport_phone": "555-0100", key: value})
    events = AuditEvent.objects.count()
    response = client.post("/clinic/settings/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "Nothing was saved" in body
    clinic_a.refresh_from_db()
    assert clinic_a.settings == {} and clinic_a.name == "Clinic A"
    assert AuditEvent.objects.count() == events
