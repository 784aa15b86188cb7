"""Who is asking, on every request: the active clinic and the roles held in it, from one
read of the user's memberships (issue 17: it was two on every page)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.conftest import make_staff

from ketacare.accounts.models import Membership

pytestmark = pytest.mark.django_db


def _staff_on(client, url: str) -> tuple[int, object, int]:
    """(status, the request's staff, statements reading accounts_membership)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    reads = sum(1 for q in queries.captured_queries if 'FROM "accounts_membership"' in q["sql"])
    return response.status_code, getattr(response.wsgi_request, "staff", None), reads


def test_roles_follow_the_chosen_clinic_from_one_read(client, clinic_a, clinic_b) -> None:
    user = make_staff("two-clinics", clinic_a, "analyst")
    Membership.objects.create(user=user, clinic=clinic_b, role="prescriber")
    Membership.objects.create(user=user, clinic=clinic_b, role="admin", active=False)
    client.force_login(user)
    status, staff, _ = _staff_on(client, "/patients/")
    assert status == 302 and staff is None  # two clinics: the picker first

    client.post("/accounts/clinic/", {"clinic": clinic_a.pk})
    status, staff, reads = _staff_on(client, "/patients/")
    assert (status, staff.clinic, staff.roles, reads) == (403, clinic_a, {"analyst"}, 1)

    client.post("/accounts/clinic/", {"clinic": clinic_b.pk})
    status, staff, reads = _staff_on(client, "/patients/")
    # The inactive admin membership gives nothing.
    assert (status, staff.clinic, staff.roles, reads) == (200, clinic_b, {"prescriber"}, 1)


def test_a_single_clinic_is_chosen_and_a_lapsed_one_is_not(client, clinic_a, clinic_b) -> None:
    user = make_staff("one-clinic", clinic_a, "nurse", "analyst")
    Membership.objects.create(user=user, clinic=clinic_b, role="prescriber", active=False)
    client.force_login(user)
    status, staff, reads = _staff_on(client, "/patients/")
    assert (status, staff.clinic, staff.roles, reads) == (200, clinic_a, {"nurse", "analyst"}, 1)
    Membership.objects.filter(user=user, clinic=clinic_a).update(active=False)
    status, staff, _ = _staff_on(client, "/patients/")
    assert status == 302 and staff is None
