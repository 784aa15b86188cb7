"""On a phone (390 px) no table hides a column: tables wider than the screen scroll
sideways inside themselves, the page does not. Only the patient list keeps name and MRN
(the rest is one tap away on the chart). Usability walk-through: the PK explorer lost its
Dose, Unit and Infusion inputs on a phone, and the protocol list its doses."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
HIDDEN_HEADERS = """() => [...document.querySelectorAll('table.list th')]
    .filter(th => getComputedStyle(th).display === 'none').map(th => th.textContent.trim())"""


@pytest.mark.parametrize("path", ["/pk/", "/treatment/protocols/"])
def test_no_column_is_hidden_on_a_phone(chromium, live_server, sign_in, path) -> None:
    page = chromium.new_page(viewport=PHONE)
    sign_in(page)
    page.goto(f"{live_server.url}{path}")
    assert page.locator("table.list th").count() >= 5
    assert page.evaluate(HIDDEN_HEADERS) == []
    # The table scrolls, not the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.close()
