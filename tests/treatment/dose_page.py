"""Driving the session day's dose step in Playwright: calculate (preview, nothing
recorded), then confirm, with the IV second check co-signed by a second clinician's
username and password (accounts/cosign.py). Shared by the browser tests that give a dose."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.conftest import PASSWORD, click_and_load


def calculate_dose(page: Page, stock_item_pk: int, lot: str, *, mg_per_kg: str | None = None,
                   fixed_mg: str | None = None) -> None:
    """Choose the dose and a lot on hand in the ledger, and press "Calculate dose"."""
    if mg_per_kg is not None:
        page.fill("#id_mg_per_kg", mg_per_kg)
    if fixed_mg is not None:
        page.select_option("#id_fixed_mg", fixed_mg)
    page.select_option("#id_source", f"{stock_item_pk}|{lot}")
    click_and_load(page, "button:has-text('Calculate dose')")


def confirm_dose(page: Page, *, second_check: str | None = None) -> None:
    """Record the previewed dose; `second_check` (IV) is the co-signer's username."""
    if second_check is not None:
        page.fill("#id_second_check_username", second_check)
        page.fill("#id_second_check_password", PASSWORD)
    click_and_load(page, "button:has-text('Confirm: record dose given')")
