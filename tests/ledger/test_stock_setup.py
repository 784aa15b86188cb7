"""Stock set-up from the ledger page: admins add items with NDC (where known) and DEA
schedule; a malformed NDC or unknown schedule is refused at the field and adds nothing."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.ledger.models import StockItem
from ketacare.ledger.ndc import clean_ndc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("ndc", ["", "50090-5523-0", "0409-2051-05", "42023-113-10",
                                 "50458-028-02", "50458-0028-02", "50458002802"])
def test_ndc_formats_accepted(ndc) -> None:
    assert clean_ndc(f" {ndc} ") == ndc


@pytest.mark.parametrize("ndc", ["5009055230", "50090-55-230", "abcde-1234-5", "1-2-3",
                                 "50090-5523-0-1"])
def test_ndc_formats_refused(ndc) -> None:
    with pytest.raises(ValueError, match="is not an NDC"):
        clean_ndc(ndc)


def test_admin_adds_stock_with_ndc_and_schedule(client, admin_a, clinic_a) -> None:
    client.force_login(admin_a)
    home = client.get("/ledger/").content.decode()
    assert 'name="ndc"' in home and 'name="schedule"' in home
    response = client.post("/ledger/items/new/", {
        "drug": "esketamine", "form": "nasal_device", "device_mg": "28",
        "ndc": "50458-028-02", "schedule": "CIII"}, follow=True)
    assert response.status_code == 200
    item = StockItem.objects.get(clinic=clinic_a)
    assert (item.ndc, item.schedule) == ("50458-028-02", "CIII")
    assert "NDC 50458-028-02" in client.get("/ledger/").content.decode()
    entry = AuditEvent.objects.filter(object_type="stockitem", action="create").get()
    assert entry.detail["ndc"] == "50458-028-02" and entry.detail["schedule"] == "CIII"


@pytest.mark.parametrize(("data", "message"), [
    ({"ndc": "5009055230"}, "is not an NDC"),
    ({"schedule": "CVI"}, "Select a valid choice"),
])
def test_bad_stock_input_adds_nothing(client, admin_a, data, message) -> None:
    client.force_login(admin_a)
    post = {"drug": "racemic_ketamine", "form": "vial", "concentration_mg_ml": "50",
            **data}
    response = client.post("/ledger/items/new/", post)
    assert response.status_code == 400 and message in response.content.decode()
    assert not StockItem.objects.exists()


def test_stock_setup_refused_to_nurses_and_analysts(client, nurse_a, analyst_a) -> None:
    for user in (nurse_a, analyst_a):
        client.force_login(user)
        assert client.post("/ledger/items/new/", {"drug": "esketamine",
                                                  "form": "nasal_device"}).status_code == 403
    assert not StockItem.objects.exists()
