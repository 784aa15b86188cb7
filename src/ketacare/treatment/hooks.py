"""Where the apps above treatment (consent, REMS) join the session day without treatment
importing them: the layers contract in pyproject.toml keeps imports one way, so each of
those apps registers its hook in its AppConfig.ready() and treatment calls what is
registered.

- A *dose gate* says why a session's dose must not be given (a reason) or None; gates are
  asked at the dose preview, at the dose itself and by the session page, in registration
  (INSTALLED_APPS) order. Consent: no dose without the patient's current signed consent;
  REMS: no first esketamine dose of a patient not enrolled.
- An *after-discharge* step runs once a discharge is committed (consent's aftercare sheet).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from ketacare.accounts.staff import Staff

from .models import Session

DoseGate = Callable[[Session, date], "str | None"]
AfterDischarge = Callable[[Staff, Session, "HttpRequest | None"], None]

_dose_gates: dict[str, DoseGate] = {}
_after_discharge: dict[str, AfterDischarge] = {}


def add_dose_gate(name: str, gate: DoseGate) -> None:
    """Registered by name, so an app's ready() running twice registers it once."""
    _dose_gates[name] = gate


def add_after_discharge(name: str, step: AfterDischarge) -> None:
    _after_discharge[name] = step


def dose_refusals(session: Session, today: date) -> dict[str, str]:
    """Each registered gate's reason this session may not be dosed, by gate name."""
    reasons = {name: gate(session, today) for name, gate in _dose_gates.items()}
    return {name: why for name, why in reasons.items() if why}


def dose_refusal(name: str, session: Session, today: date) -> str | None:
    """One gate's reason, for a page that shows that gate on its own (the REMS panel)."""
    gate = _dose_gates.get(name)
    return gate(session, today) if gate else None


def require_dose_allowed(session: Session, today: date) -> None:
    """The first gate's refusal as a ValidationError, or nothing."""
    for why in dose_refusals(session, today).values():
        raise ValidationError(why)


def after_discharge(staff: Staff, session: Session, request: HttpRequest | None) -> None:
    for step in _after_discharge.values():
        step(staff, session, request)
