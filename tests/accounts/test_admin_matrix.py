"""Every clinic-admin page and action against every other persona: nurses, prescribers
and analysts of the clinic get 403; another clinic's admin gets 404 for this clinic's
objects (and only ever sees their own clinic on the list pages). Nothing changes."""

from __future__ import annotations

import pytest
from tests.conftest import make_staff

from ketacare.accounts.models import Membership
from ketacare.audit.models import AuditEvent
from ketacare.consent.models import EducationParagraph
from ketacare.treatment.models import ClinicProtocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic_a, clinic_b):  # type: ignore[no-untyped-def]
    from ketacare.accounts.staff import staff_for
    from ketacare.clinical.protocols import DEFAULT_PROTOCOLS
    from ketacare.treatment import actions

    admin = make_staff("ada", clinic_a, "admin")
    member = make_staff("mo", clinic_a, "nurse")
    iv = actions.save_protocol(staff_for(admin, clinic_a),
                               DEFAULT_PROTOCOLS["iv-induction"].as_dict(),
                               based_on="iv-induction")
    return {"member": member, "protocol": iv,
            "nurse": make_staff("nell", clinic_a, "nurse"),
            "prescriber": make_staff("pat", clinic_a, "prescriber"),
            "analyst": make_staff("ann", clinic_a, "analyst"),
            "other_admin": make_staff("otto", clinic_b, "admin")}


def _requests(world) -> list[tuple[str, str, dict[str, str], bool]]:  # type: ignore[no-untyped-def]
    """(method, url, data, names a clinic-A object)"""
    m, p = world["member"].pk, world["protocol"].pk
    return [
        ("get", "/clinic/staff/", {}, False),
        ("post", "/clinic/staff/invite/", {"first_name": "X", "email": "x@example.org",
                                           "role": "nurse"}, False),
        ("get", "/clinic/settings/", {}, False),
        *[("post", f"/clinic/staff/{m}/{action}/", {"role": "admin"}, True)
          for action in ("role", "deactivate", "reset-two-factor", "resend-invite")],
        ("get", f"/treatment/protocols/{p}/edit/", {}, True),
        ("post", f"/treatment/protocols/{p}/edit/", {"observation_min": "45"}, True),
        ("get", f"/treatment/protocols/{p}/export/", {}, True),
        ("post", f"/treatment/protocols/{p}/copy/", {"key": "x", "name": "X"}, True),
        ("post", "/treatment/protocols/import/", {"protocol_json": "{}"}, False),
        ("post", "/treatment/protocols/use/oral/", {}, False),
        ("post", "/treatment/protocols/esketamine-label/", {"variant": "eu"}, False),
        ("post", "/consent/documents/", {"kind": "iv", "title": "T", "body": "B",
                                         "change_note": "x"}, False),
        ("post", "/consent/documents/paragraph/iv/", {"text": "Our clinic."}, False),
    ]


@pytest.mark.parametrize("persona", ["nurse", "prescriber", "analyst", "other_admin"])
def test_admin_pages_refused(client, world, persona) -> None:
    client.force_login(world[persona])
    events = AuditEvent.objects.count()
    for method, url, data, foreign in _requests(world):
        status = getattr(client, method)(url, data).status_code
        if persona == "other_admin":
            if foreign:
                assert status == 404, (url, status)
        else:
            assert status == 403, (persona, url, status)
    assert Membership.objects.get(user=world["member"]).active
    assert Membership.objects.get(user=world["member"]).role == "nurse"
    assert world["protocol"].version == ClinicProtocol.objects.get(
        pk=world["protocol"].pk).version
    clinic_a = world["member"].memberships.get().clinic
    clinic_a.refresh_from_db()
    assert "esketamine_label" not in clinic_a.settings
    assert not EducationParagraph.objects.filter(clinic=clinic_a).exists()
    if persona != "other_admin":
        assert AuditEvent.objects.count() == events


def test_other_clinics_admin_sees_only_their_own_clinic(client, world) -> None:
    client.force_login(world["other_admin"])
    page = client.get("/clinic/staff/").content.decode()
    assert 'data-testid="member-otto"' in page and 'data-testid="member-mo"' not in page
    assert "Clinic B" in client.get("/clinic/settings/").content.decode()
