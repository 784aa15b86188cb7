"""The two calls other apps make into this one, so each hook is one line where it sits:
treatment.actions.give_dose calls `before_dose`, treatment.actions.discharge calls
`after_discharge`."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from ketacare.accounts.staff import Staff
from ketacare.treatment.models import Session

from .actions import require_current_consent as before_dose
from .aftercare import send_after_discharge


def after_discharge(staff: Staff, session: Session, request: HttpRequest | None) -> None:
    """Sent once the discharge is committed: a slow mail server never holds the session's
    transaction open, and a rolled-back discharge sends nothing."""
    transaction.on_commit(lambda: send_after_discharge(staff, session, request=request))


__all__ = ["after_discharge", "before_dose"]
