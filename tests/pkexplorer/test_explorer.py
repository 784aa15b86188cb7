from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ketacare.clinical import pk

pytestmark = pytest.mark.django_db


def test_default_view_draws_three_scenarios(signed_in) -> None:
    response = signed_in.get("/pk/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "dissociative" in body
    cmax = re.findall(r'data-testid="cmax">([\d.]+)<', body)
    assert len(cmax) == 3
    expected = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", 56.0)],
                            pk.Patient(70.0, 45))["cmax_ng_ml"]
    assert float(cmax[1]) == pytest.approx(expected, abs=0.05)
    assert "measured end of infusion (Zarate 2006)" in body
    assert "IM: peak ~20 min [check]" in body  # scenario 3 is IM


def test_page_says_typical_prediction_not_a_dosing_recommendation(signed_in) -> None:
    body = signed_in.get("/pk/").content.decode()
    assert "typical-patient prediction, not a dosing recommendation" in body


def test_oral_and_sublingual_curves_show_the_published_points(signed_in) -> None:
    query = {"weight_kg": "70", "age_y": "40", "hours": "3", "on_1": "on", "model_1": "domino",
             "route_1": "oral", "dose_1": "0.5", "unit_1": "mg_per_kg", "on_2": "on",
             "model_2": "domino", "route_2": "sublingual", "dose_2": "25", "unit_2": "mg"}
    body = signed_in.get("/pk/", query).content.decode()
    assert "oral 0.5 mg/kg: Cmax (Grant 1981)" in body
    assert "SL 25 mg: median Tmax (Rolan 2014)" in body
    assert "measured end of infusion (Zarate 2006)" not in body  # no IV curve


def test_mg_per_kg_uses_the_weight(signed_in) -> None:
    query = {"weight_kg": "100", "age_y": "40", "hours": "2", "on_1": "on", "model_1": "domino",
             "route_1": "iv", "dose_1": "0.5", "unit_1": "mg_per_kg", "infusion_min_1": "40"}
    body = signed_in.get("/pk/", query).content.decode()
    expected = pk.summarize("domino", [pk.Dose("iv", 50.0, 0.0, 40.0)],
                            pk.Patient(100.0, 40))["cmax_ng_ml"]
    assert re.findall(r'data-testid="cmax">([\d.]+)<', body) == [f"{expected:.1f}"]


@pytest.mark.parametrize(("change", "message"), [
    ({"weight_kg": "500"}, "less than or equal to 300"),
    ({"route_1": "intranasal", "model_1": "domino", "dose_1": "-1"}, "greater than or equal"),
    ({"model_1": "perez-ruixo-2021", "route_1": "im", "unit_1": "mg", "dose_1": "56"}, "route"),
])
def test_bad_input_is_explained(signed_in, change, message) -> None:
    query = {"weight_kg": "70", "hours": "4", "on_1": "on", "model_1": "domino",
             "route_1": "iv", "dose_1": "0.5", "unit_1": "mg_per_kg", "infusion_min_1": "40"}
    query.update(change)
    body = signed_in.get("/pk/", query).content.decode()
    assert message in body
    assert "<svg" not in body


def test_explorer_requires_sign_in(client) -> None:
    assert client.get("/pk/").status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_compare_routes_in_the_browser(chromium, live_server, sign_in) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page)
    page.click("text=PK explorer")
    expect(page.locator(".chart svg")).to_be_visible()
    page.uncheck("#id_on_3")
    page.fill("#id_dose_2", "84")
    page.click("button:has-text('Compare')")
    expect(page.get_by_test_id("cmax")).to_have_count(2)
    expect(page.locator("table.list >> nth=1")).to_contain_text("Intranasal 84 mg")
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_published_points_and_disclaimer_in_the_browser(chromium, live_server,
                                                        sign_in) -> None:
    """Issue #14 item 13, as a user sees it (screenshot kept in docs/screenshots)."""
    import os
    import tempfile
    from pathlib import Path

    page = chromium.new_page(viewport={"width": 1280, "height": 1100})
    sign_in(page)
    query = ("weight_kg=70&age_y=40&hours=3&on_1=on&model_1=domino&route_1=oral&dose_1=0.5"
             "&unit_1=mg_per_kg&on_2=on&model_2=domino&route_2=sublingual&dose_2=25&unit_2=mg"
             "&on_3=on&model_3=domino&route_3=im&dose_3=0.5&unit_3=mg_per_kg")
    page.goto(f"{live_server.url}/pk/?{query}")
    expect(page.get_by_test_id("pk-disclaimer")).to_contain_text(
        "typical-patient prediction, not a dosing recommendation")
    chart = page.locator(".chart svg")
    expect(chart).to_contain_text("oral 0.5 mg/kg: Cmax (Grant 1981)")
    expect(chart).to_contain_text("SL 25 mg: median Tmax (Rolan 2014)")
    expect(chart).to_contain_text("IM: peak ~20 min [check]")
    shots = Path(os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir()))
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "pk-explorer-published-points.png"), full_page=True)
    page.close()
