"""Two admins of a clinic remove each other at the same moment: one succeeds, the other is
refused as the last active admin, and the clinic always keeps an admin. On PostgreSQL the
second really runs while the first's transaction is open (the clinic row lock makes it
wait and then see the first's change); SQLite serialises whole-database writes, so there
the two run one after the other and must end the same way."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from tests.conftest import make_staff

from ketacare.accounts import staff_admin
from ketacare.accounts.models import Membership
from ketacare.accounts.staff import staff_for

pytestmark = pytest.mark.django_db(transaction=True)


def _active_admins(clinic) -> set[str]:  # type: ignore[no-untyped-def]
    return set(Membership.objects.filter(clinic=clinic, role="admin", active=True)
               .values_list("user__username", flat=True))


@pytest.mark.parametrize("remove", ["deactivate", "demote"])
def test_two_admins_cannot_remove_each_other_at_once(clinic_a, remove) -> None:
    ada, ola = make_staff("ada", clinic_a, "admin"), make_staff("ola", clinic_a, "admin")
    # Both requests are already in flight: each admin acts with the roles they had then.
    as_staff = {u.pk: staff_for(u, clinic_a) for u in (ada, ola)}

    def act(by, whom) -> None:  # type: ignore[no-untyped-def]
        staff = as_staff[by.pk]
        assert staff is not None
        if remove == "deactivate":
            staff_admin.deactivate(staff, whom)
        else:
            staff_admin.change_role(staff, whom, "nurse")

    if connection.vendor != "postgresql":
        act(ada, ola)
        with pytest.raises(ValidationError, match="last active admin"):
            act(ola, ada)
        assert _active_admins(clinic_a) == {"ada"}
        return

    first_done, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                act(ada, ola)
                first_done.set()
                release.wait(20)  # hold the transaction open while the second runs
            outcomes["first"] = "done"
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes["first"] = exc
        finally:
            first_done.set()
            connections.close_all()

    def second() -> None:
        try:
            first_done.wait(20)
            act(ola, ada)
            outcomes["second"] = "done"
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_done.wait(20)
    time.sleep(1.0)  # the second is now waiting for the clinic (or, unguarded, done)
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert outcomes["first"] == "done", outcomes
    assert isinstance(outcomes["second"], ValidationError), outcomes
    assert "last active admin" in str(outcomes["second"])
    assert _active_admins(clinic_a) == {"ada"}
