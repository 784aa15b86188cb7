from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.conftest import PASSWORD


@pytest.fixture
def sign_in(live_server, clinician) -> Callable[[object], None]:  # type: ignore[no-untyped-def]
    """Sign in through the real login form, as a person would."""

    def _sign_in(page) -> None:  # type: ignore[no-untyped-def]
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", clinician.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    return _sign_in
