"""Self-report use cases, one module per sub-domain: asking (`links`: requests, links,
sending), answering (`answers`: progress, submit, baseline, imports), `alerts`
(acknowledge, act, escalate) and `cron` (send-due).

Staff actions take a `Staff` and check permission and clinic; patient actions take the
request a valid link resolved to. Each writes in one transaction with its audit entry.
Public link access is audited as "patient-link" (no user account is involved)."""

from ._common import PATIENT_LINK, audit_link, instruments_for
from .alerts import acknowledge, record_action
from .answers import (
    baseline_response,
    baseline_total,
    import_response,
    latest_course,
    save_progress,
    submit,
)
from .cron import Counts, failed_deliveries, send_due
from .links import (
    LinkState,
    contact_channels,
    issue_link,
    new_request,
    opened,
    request_now,
    resolve_link,
    send_request,
    start_kiosk,
)

__all__ = [
    "PATIENT_LINK", "Counts", "LinkState", "acknowledge", "audit_link", "baseline_response",
    "baseline_total", "contact_channels", "failed_deliveries", "import_response",
    "instruments_for", "issue_link", "latest_course", "new_request", "opened",
    "record_action", "request_now", "resolve_link", "save_progress", "send_due",
    "send_request", "start_kiosk", "submit",
]
