"""Treatment actions: protocols, courses, schedules and the session day. Each validates,
checks the permission, writes in one transaction and audits; the safety rules are the
clinical core's (`ketacare.clinical.safety`, `dosing`, `schedules`)."""

from ._common import AlreadyDone
from .alerts import acknowledge as acknowledge_alert
from .alerts import open_for as open_alerts_for
from .courses import eligibility_for, move_session, set_session_status, start_course
from .discharge import amend, discharge, discharge_status, sign
from .dose import DosePreview, give_dose, override_hold, preview_dose, stop_infusion
from .protocols import (
    LABEL_SETTING,
    copy_shipped,
    ensure_default_protocols,
    save_protocol,
    shipped_for_first_course,
)
from .session_day import check_in, record_adverse_event, record_rating, record_vitals

__all__ = [
    "LABEL_SETTING", "AlreadyDone", "DosePreview", "acknowledge_alert", "open_alerts_for",
    "preview_dose",
    "amend", "check_in", "copy_shipped", "discharge", "discharge_status", "eligibility_for",
    "ensure_default_protocols", "give_dose", "move_session", "override_hold",
    "record_adverse_event", "record_rating", "record_vitals", "save_protocol",
    "set_session_status", "shipped_for_first_course", "sign", "start_course",
    "stop_infusion",
]
