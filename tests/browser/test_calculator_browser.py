"""A clinician signs in and scores a PHQ-9 in real Chromium, on a desktop and a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_phq9_scored_live_with_band_and_item9_warning(
    chromium, live_server, sign_in, viewport
) -> None:
    page = chromium.new_page(viewport=viewport)
    sign_in(page)
    page.click("text=Scoring calculator")
    page.click("text=PHQ-9")
    answers = [2, 2, 3, 2, 1, 2, 2, 1, 1]  # total 16: moderately severe, item 9 > 0
    for number, value in enumerate(answers, start=1):
        page.locator(f"input[name=item_{number}][value='{value}']").check()
    total = page.get_by_test_id("total")
    total.wait_for()
    assert total.inner_text() == "16"
    assert page.get_by_test_id("severity").inner_text() == "Moderately severe"
    assert "assess suicide risk" in page.locator("[data-flag=suicidal_ideation]").inner_text()
    # Nothing overflows sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    page.close()


def test_changing_an_answer_rescores_and_clears_the_flag(chromium, live_server, sign_in) -> None:
    page = chromium.new_page(viewport=DESKTOP)
    sign_in(page)
    page.goto(f"{live_server.url}/calculator/phq9/")
    for number in range(1, 10):
        page.locator(f"input[name=item_{number}][value='1']").check()
    page.get_by_test_id("total").wait_for()
    assert page.locator("[data-flag=suicidal_ideation]").count() == 1
    page.locator("input[name=item_9][value='0']").check()
    expect(page.get_by_test_id("total")).to_have_text("8")
    expect(page.get_by_test_id("severity")).to_have_text("Mild")
    expect(page.locator("[data-flag=suicidal_ideation]")).to_have_count(0)
    page.close()


def test_clinician_rated_scale_uses_score_entry(chromium, live_server, sign_in) -> None:
    page = chromium.new_page(viewport=DESKTOP)
    sign_in(page)
    page.goto(f"{live_server.url}/calculator/madrs/")
    for number in range(1, 11):
        page.fill(f"input[name=item_{number}]", "2")
    page.click("button:has-text('Score')")
    page.get_by_test_id("total").wait_for()
    assert page.get_by_test_id("total").inner_text() == "20"
    assert page.get_by_test_id("severity").inner_text() == "Moderate"
    page.close()
