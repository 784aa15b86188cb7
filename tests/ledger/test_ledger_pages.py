"""Every ledger URL against every persona: exactly what the permission matrix allows, 404
(never 403) for another clinic's stock and entries; and what the pages say."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from tests.conftest import PASSWORD

from ketacare.audit.models import AuditEvent
from ketacare.ledger import actions
from ketacare.ledger.models import Kind, LedgerEntry

pytestmark = pytest.mark.django_db

IN_DATE = date.today() + timedelta(days=400)
PERSONAS = ("admin_a", "prescriber_a", "nurse_a", "analyst_a", "prescriber_b", "anonymous")
TODAY = date.today()


@pytest.fixture
def world(stocked, admin_a, prescriber_a, nurse_a, analyst_a, prescriber_b, patient_a,
          as_staff):  # type: ignore[no-untyped-def]
    given = actions.administer(as_staff(nurse_a), stocked, "1.5", patient_a, 12, "L-100")
    return {"users": {"admin_a": admin_a, "prescriber_a": prescriber_a, "nurse_a": nurse_a,
                      "analyst_a": analyst_a, "prescriber_b": prescriber_b, "anonymous": None},
            "item": stocked, "entry": given, "patient": patient_a}


RECEIVE = {"receive-quantity": "10", "receive-lot": "L-2", "receive-expiry": str(IN_DATE),
           "receive-supplier": "Hikma", "receive-invoice": "INV-2"}
PERIOD = f"start={TODAY.replace(day=1)}&end={TODAY}"
ALL = {"admin_a": 200, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
       "prescriber_b": 404}
# (name, method, url template, data, expected status per persona)
CASES = [
    ("home", "get", "/ledger/", None, {**ALL, "prescriber_b": 200}),
    ("item", "get", "/ledger/{i}/", None, ALL),
    ("item-page-2", "get", "/ledger/{i}/?page=2", None, ALL),
    ("receive", "post", "/ledger/{i}/receive/", RECEIVE,
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 302, "analyst_a": 403,
      "prescriber_b": 404}),
    ("count", "post", "/ledger/{i}/count/", {"count-counted": "18.5",
                                              "count-count_kind": "periodic"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 302, "analyst_a": 403,
      "prescriber_b": 404}),
    ("adjust", "post", "/ledger/{i}/adjust/", {"adjust-quantity": "-0.5",
                                                "adjust-reason": "spill"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 403, "analyst_a": 403,
      "prescriber_b": 404}),
    ("transfer", "post", "/ledger/{i}/transfer/",
     {"transfer-direction": "out", "transfer-quantity": "1", "transfer-counterparty": "X"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 403, "analyst_a": 403,
      "prescriber_b": 404}),
    ("reverse", "post", "/ledger/entries/{e}/reverse/", {"reason": "wrong vial"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 403, "analyst_a": 403,
      "prescriber_b": 404}),
    ("item-create", "post", "/ledger/items/new/",
     {"drug": "esketamine", "form": "nasal_device", "device_mg": "28"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 403, "analyst_a": 403,
      "prescriber_b": 302}),
    ("report", "get", f"/ledger/report/?{PERIOD}&item={{i}}", None, ALL),
    ("report-all", "get", f"/ledger/report/?{PERIOD}", None, {**ALL, "prescriber_b": 200}),
    ("csv", "get", f"/ledger/report/ledger.csv?{PERIOD}&item={{i}}", None, ALL),
    ("pdf", "get", f"/ledger/report/ledger.pdf?{PERIOD}&item={{i}}", None, ALL),
]


def _client_for(client, user):  # type: ignore[no-untyped-def]
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "url", "data", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_matrix(world, client, persona, name, method, url, data, expected) -> None:
    path = url.format(i=world["item"].pk, e=world["entry"].pk)
    c = _client_for(client, world["users"][persona])
    before = LedgerEntry.objects.count()
    response = getattr(c, method)(path, data or {})
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == expected[persona], (persona, name, response.content[:300])
    if response.status_code != 302 or name == "item-create":
        assert LedgerEntry.objects.count() == before


def test_unknown_ids_and_kinds_are_404(world, client) -> None:
    client.force_login(world["users"]["prescriber_a"])
    item = world["item"].pk
    assert client.get("/ledger/999999/").status_code == 404
    assert client.post(f"/ledger/{item}/bogus/", {}).status_code == 404
    assert client.post("/ledger/entries/999999/reverse/", {"reason": "x"}).status_code == 404
    assert client.get(f"/ledger/report/ledger.csv?{PERIOD}&item=abc").status_code == 404


def test_other_clinic_sees_nothing_of_clinic_a(world, client) -> None:
    client.force_login(world["users"]["prescriber_b"])
    body = client.get("/ledger/").content.decode()
    assert world["item"].label not in body and "No stock items yet" in body
    body = client.get(f"/ledger/report/ledger.csv?{PERIOD}").content.decode()
    assert "L-100" not in body and world["patient"].mrn not in body


def test_nav_link_follows_the_view_permission(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    assert 'href="/ledger/"' in client.get("/").content.decode()
    client.force_login(world["users"]["analyst_a"])
    assert 'href="/ledger/"' not in client.get("/").content.decode()


def test_home_lists_balance_in_ml_and_mg(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    body = client.get("/ledger/").content.decode()
    assert world["item"].label in body
    assert "<strong>18.5</strong> mL" in body and "925 mg" in body
    assert "never counted" in body
    # A nurse cannot add stock items.
    assert "Add a stock item" not in body


def test_item_page_shows_entries_without_patient_names(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    response = client.get(f"/ledger/{world['item'].pk}/")
    body = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "18.5 mL" in body and "925 mg" in body
    assert "-1.5 mL (-75 mg)" in body and "+20 mL (1000 mg)" in body
    assert world["patient"].mrn in body and "Rivera" not in body
    assert "Reverse…" not in body  # nurses cannot reverse
    for title in ("Receive stock", "Administer to a patient", "Waste (witnessed)",
                  "Inventory count"):
        assert title in body
    assert "Adjustment" not in body and "Transfer in or out" not in body
    viewed = AuditEvent.objects.filter(action="view", object_type="stockitem").last()
    assert viewed is not None and viewed.object_id == str(world["item"].pk)


def test_waste_without_witness_shows_the_field_error(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    response = client.post(f"/ledger/{world['item'].pk}/waste/", {
        "waste-quantity": "0.5", "waste-method": "denaturant"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Waste needs a witness: a second staff member who is not you." in body
    assert "field-error" in body and "<details class=\"add ledger-form ledger-form-waste\" open" in body
    # The witness signs with their own password: no list of names to pick from.
    assert 'name="waste-witness_password"' in body and ">Priya Tester<" not in body
    assert LedgerEntry.objects.filter(kind=Kind.WASTE).count() == 0


def test_waste_with_witness_then_success_message(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    response = client.post(f"/ledger/{world['item'].pk}/waste/", {
        "waste-quantity": "0.5", "waste-method": "denaturant",
        "waste-witness_username": world["users"]["prescriber_a"].username,
        "waste-witness_password": PASSWORD}, follow=True)
    body = response.content.decode()
    assert "Wasted 0.5 mL (25 mg) recorded. Balance now 18 mL (900 mg)." in body
    assert actions.balance(world["item"]) == Decimal(18)


def test_overdraw_and_unknown_mrn_are_field_errors(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    url = f"/ledger/{world['item'].pk}/administer/"
    body = client.post(url, {"administer-quantity": "30", "administer-lot": "L-100",
                             "administer-patient_mrn": world["patient"].mrn}).content.decode()
    assert "Only 18.5 mL (925 mg) in stock" in body
    body = client.post(url, {"administer-quantity": "1", "administer-lot": "L-100",
                             "administer-patient_mrn": "NOPE-1"}).content.decode()
    assert "No patient with MRN NOPE-1 in this clinic." in body
    response = client.post(url, {"administer-quantity": "1", "administer-lot": "L-100",
                                 "administer-patient_mrn": world["patient"].mrn.lower()})
    assert response.status_code == 302 and actions.balance(world["item"]) == Decimal("17.5")


def test_count_discrepancy_is_flagged_on_both_pages(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    response = client.post(f"/ledger/{world['item'].pk}/count/", {
        "count-counted": "18", "count-count_kind": "biennial"}, follow=True)
    body = response.content.decode()
    assert "a discrepancy of -0.5 mL (-25 mg)" in body
    assert 'data-testid="ledger-discrepancy"' in body
    home = client.get("/ledger/").content.decode()
    assert 'data-testid="ledger-discrepancies"' in home and "Off by -0.5 mL" in home


def test_reversal_from_the_page(world, client) -> None:
    client.force_login(world["users"]["prescriber_a"])
    entry = world["entry"]
    body = client.get(f"/ledger/{world['item'].pk}/").content.decode()
    assert f'action="/ledger/entries/{entry.pk}/reverse/"' in body
    response = client.post(f"/ledger/entries/{entry.pk}/reverse/", {"reason": ""})
    assert response.status_code == 400
    assert "Say why this entry is being reversed." in response.content.decode()
    response = client.post(f"/ledger/entries/{entry.pk}/reverse/",
                           {"reason": "Charted on the wrong item"}, follow=True)
    body = response.content.decode()
    assert "Entry #2 reversed. Balance now 20 mL (1000 mg)." in body
    assert "reversed by #3" in body and "reverses #2" in body
    again = client.post(f"/ledger/entries/{entry.pk}/reverse/", {"reason": "twice"})
    assert again.status_code == 400


def test_item_create_errors_and_device_item(world, client) -> None:
    client.force_login(world["users"]["admin_a"])
    response = client.post("/ledger/items/new/", {"drug": "racemic_ketamine", "form": "vial"})
    assert response.status_code == 400
    assert "Give the concentration in mg/mL" in response.content.decode()
    response = client.post("/ledger/items/new/", {"drug": "esketamine",
                                                  "form": "nasal_device"}, follow=True)
    assert "Esketamine nasal 28 mg device" in response.content.decode()
    assert "Devices" in response.content.decode()  # the amount field is in devices


def test_report_form_rejects_backwards_period(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    response = client.get(f"/ledger/report/?start={TODAY}&end={TODAY - timedelta(days=1)}")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    response = client.post("/ledger/report/", {"start": str(TODAY), "end": str(TODAY),
                                               "item": world["item"].pk})
    assert response.status_code == 302 and f"item={world['item'].pk}" in response["Location"]


def test_report_page_summarises_and_links_downloads(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    body = client.get(f"/ledger/report/?{PERIOD}").content.decode()
    assert "Opening balance" in body and "Closing balance" in body
    assert "Administered" in body and "-1.5" in body
    assert f"/ledger/report/ledger.pdf?{PERIOD}".replace("&", "&amp;") in body
