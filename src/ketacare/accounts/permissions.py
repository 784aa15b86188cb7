"""The permission matrix: which role may do what, in one place.

Views, API, FHIR and CLI ask `can(roles, perm)`; nothing else decides. Analysts work on
de-identified aggregates and never open a chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .models import Role


class Perm(StrEnum):
    VIEW_CHART = "view_chart"
    EDIT_PATIENT = "edit_patient"
    SCREEN = "screen"  # record a screening checklist
    DECIDE_ELIGIBILITY = "decide_eligibility"
    SIGN_ORDERS = "sign_orders"
    VIEW_AGGREGATES = "view_aggregates"
    VIEW_AUDIT = "view_audit"
    MANAGE_CLINIC = "manage_clinic"
    LEDGER_VIEW = "ledger_view"  # see stock, balances, entries and reports
    LEDGER_RECORD = "ledger_record"  # receive, dispense, administer, waste, count
    LEDGER_ADJUST = "ledger_adjust"  # adjust, reverse, transfer, add stock items
    RUN_SESSION = "run_session"  # check in, vitals, dose, ratings, events, discharge, sign
    SELFREPORT_VIEW = "selfreport_view"  # self-report responses, due/sent page, alert inbox
    SELFREPORT_MANAGE = "selfreport_manage"  # send a questionnaire link, start kiosk entry
    ALERTS_ACT = "alerts_act"  # acknowledge a self-report alert, record the action taken


MATRIX: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {Perm.VIEW_CHART, Perm.EDIT_PATIENT, Perm.VIEW_AGGREGATES, Perm.VIEW_AUDIT,
         Perm.MANAGE_CLINIC, Perm.LEDGER_VIEW, Perm.LEDGER_RECORD, Perm.LEDGER_ADJUST,
         Perm.SELFREPORT_VIEW}
    ),
    Role.PRESCRIBER: frozenset(
        {Perm.VIEW_CHART, Perm.EDIT_PATIENT, Perm.SCREEN, Perm.DECIDE_ELIGIBILITY,
         Perm.SIGN_ORDERS, Perm.VIEW_AGGREGATES, Perm.LEDGER_VIEW, Perm.LEDGER_RECORD,
         Perm.LEDGER_ADJUST, Perm.RUN_SESSION, Perm.SELFREPORT_VIEW, Perm.SELFREPORT_MANAGE,
         Perm.ALERTS_ACT}
    ),
    Role.NURSE: frozenset(
        {Perm.VIEW_CHART, Perm.EDIT_PATIENT, Perm.SCREEN, Perm.LEDGER_VIEW, Perm.LEDGER_RECORD,
         Perm.RUN_SESSION, Perm.SELFREPORT_VIEW, Perm.SELFREPORT_MANAGE, Perm.ALERTS_ACT}
    ),
    Role.ANALYST: frozenset({Perm.VIEW_AGGREGATES}),
}


def perms_for(roles: Iterable[str]) -> frozenset[Perm]:
    out: set[Perm] = set()
    for role in roles:
        out |= MATRIX.get(role, frozenset())
    return frozenset(out)


def can(roles: Iterable[str], perm: Perm) -> bool:
    return perm in perms_for(roles)
