"""The protocol editor as a form: the same validation as the clinical core, messages at
the field, JSON import/export for sharing between clinics, a copy remembers its source
(in the same audited transaction), and the protocol list never writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.clinical.protocols import DEFAULT_PROTOCOLS, Protocol
from ketacare.treatment.models import ClinicProtocol
from ketacare.treatment.protocol_form import ProtocolFieldsForm
from tests.conftest import make_staff

from .conftest import protocol

pytestmark = pytest.mark.django_db


def form_post(data: dict[str, Any], **changes: Any) -> dict[str, str]:
    """What the browser posts for an unchanged protocol form, with `changes` (field
    names) applied."""
    form = ProtocolFieldsForm(data)
    post = {}
    for name in form.fields:
        value = form.initial.get(name)
        if value is True:
            post[name] = "on"
        elif value not in (None, False):
            post[name] = str(value)
    for name, value in changes.items():
        if value is None:
            post.pop(name, None)
        else:
            post[name] = str(value)
    return post


@pytest.mark.parametrize("key", list(DEFAULT_PROTOCOLS))
def test_every_shipped_protocol_round_trips_through_the_form(key) -> None:
    data = DEFAULT_PROTOCOLS[key].as_dict()
    form = ProtocolFieldsForm(data, form_post(data))
    assert form.is_valid(), form.errors
    assert Protocol.from_dict(form.protocol_data()) == DEFAULT_PROTOCOLS[key]


def test_admin_edits_fields_and_errors_show_at_the_field(client, admin_a, clinic_a) -> None:
    esk = protocol(clinic_a, "esketamine")
    client.force_login(admin_a)
    page = client.get(f"/treatment/protocols/{esk.pk}/edit/").content.decode()
    assert 'name="dose__max_mg"' in page and 'name="schedule__phases__0__per_week__0"' in page
    events = AuditEvent.objects.count()
    bad = client.post(f"/treatment/protocols/{esk.pk}/edit/",
                      form_post(esk.data, observation_min=90))
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'id="id_observation_min-error"' in body and "label minimum of 120" in body
    bad = client.post(f"/treatment/protocols/{esk.pk}/edit/",
                      form_post(esk.data, dose__options_mg="56, 70"))
    assert 'id="id_dose__options_mg-error"' in bad.content.decode()
    assert "not a whole number of 28 mg devices" in bad.content.decode()
    bad = client.post(f"/treatment/protocols/{esk.pk}/edit/",
                      form_post(esk.data, schedule__phases__0__per_week__1="9"))
    assert 'id="id_schedule__phases__0__per_week__1-error"' in bad.content.decode()
    bad = client.post(f"/treatment/protocols/{esk.pk}/edit/",
                      form_post(esk.data, vitals_at_min="40, soon"))
    assert "&#x27;soon&#x27; is not a whole number" in bad.content.decode()
    esk.refresh_from_db()
    assert esk.version == 1 and AuditEvent.objects.count() == events

    good = client.post(f"/treatment/protocols/{esk.pk}/edit/",
                       form_post(esk.data, observation_min=150, hold__sbp_above=135))
    assert good.status_code == 302
    esk.refresh_from_db()
    assert esk.version == 2 and esk.data["observation_min"] == 150
    assert esk.data["hold"]["sbp_above"] == 135
    assert esk.data["sources"] == DEFAULT_PROTOCOLS["esketamine"].as_dict()["sources"]


def test_copy_records_its_source_in_the_audited_transaction(client, admin_a, clinic_a) -> None:
    iv = protocol(clinic_a, "iv-induction")
    client.force_login(admin_a)
    response = client.post(f"/treatment/protocols/{iv.pk}/copy/",
                           {"key": "iv-ours", "name": "IV (ours)"})
    assert response.status_code == 302
    copy = ClinicProtocol.objects.get(clinic=clinic_a, key="iv-ours")
    assert copy.based_on == "iv-induction"
    entry = AuditEvent.objects.filter(object_type="clinicprotocol",
                                      object_id=str(copy.pk)).get()
    assert entry.detail["based_on"] == "iv-induction"
    again = client.post(f"/treatment/protocols/{iv.pk}/copy/",
                        {"key": "iv-ours", "name": "Twice"})
    assert again.status_code == 400 and "already exists" in again.content.decode()


def test_export_then_import_into_another_clinic(client, admin_a, clinic_a, clinic_b) -> None:
    iv = protocol(clinic_a, "iv-induction")
    client.force_login(admin_a)
    exported = client.get(f"/treatment/protocols/{iv.pk}/export/")
    assert exported["Content-Disposition"] == 'attachment; filename="iv-induction.json"'
    shared = json.loads(exported.content)
    shared.update(id="iv-from-a", name="IV from Clinic A")

    admin_b = make_staff("bea", clinic_b, "admin")
    client.force_login(admin_b)
    bad = client.post("/treatment/protocols/import/",
                      {"protocol_json": json.dumps(dict(shared, infusion_min=0))})
    assert bad.status_code == 400 and "infusion_min" in bad.content.decode()
    assert client.post("/treatment/protocols/import/",
                       {"protocol_json": "{oops"}).status_code == 400
    assert not ClinicProtocol.objects.filter(clinic=clinic_b).exists()
    ok = client.post("/treatment/protocols/import/", {"protocol_json": json.dumps(shared)})
    assert ok.status_code == 302
    mine = ClinicProtocol.objects.get(clinic=clinic_b, key="iv-from-a")
    assert mine.protocol() == Protocol.from_dict(shared)
    # Clinic A's protocol is not reachable from clinic B.
    assert client.get(f"/treatment/protocols/{iv.pk}/export/").status_code == 404
    assert client.get(f"/treatment/protocols/{iv.pk}/edit/").status_code == 404


def test_list_never_writes_and_admins_adopt_shipped_ones(client, admin_a, nurse_a,
                                                         clinic_a) -> None:
    client.force_login(nurse_a)
    page = client.get("/treatment/protocols/").content.decode()
    assert "shipped, not yet used" in page and "Use in this clinic" not in page
    assert not ClinicProtocol.objects.exists()
    assert client.post("/treatment/protocols/use/oral/").status_code == 403
    client.force_login(admin_a)
    assert client.post("/treatment/protocols/use/oral/").status_code == 302
    oral = ClinicProtocol.objects.get(clinic=clinic_a)
    assert oral.key == "oral" and oral.based_on == "oral"
    assert AuditEvent.objects.filter(object_type="clinicprotocol", action="create").count() == 1


@pytest.mark.parametrize("role", ["nurse", "prescriber", "analyst"])
def test_editor_refused_to_other_roles(client, clinic_a, role) -> None:
    iv = protocol(clinic_a, "iv-induction")
    client.force_login(make_staff(f"p-{role}", clinic_a, role))
    for method, url in (("get", f"/treatment/protocols/{iv.pk}/edit/"),
                        ("post", f"/treatment/protocols/{iv.pk}/edit/"),
                        ("get", f"/treatment/protocols/{iv.pk}/export/"),
                        ("post", "/treatment/protocols/import/"),
                        ("post", f"/treatment/protocols/{iv.pk}/copy/")):
        assert getattr(client, method)(url).status_code == 403
