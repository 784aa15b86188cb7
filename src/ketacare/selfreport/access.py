"""Clinic-scoped access to self-report records: another clinic's record is a 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.ids import int_id

from .models import Alert, ReportRequest


def alerts_of(staff: Staff) -> QuerySet[Alert]:
    staff.require(Perm.SELFREPORT_VIEW)
    return Alert.objects.filter(clinic=staff.clinic, patient__clinic=staff.clinic)


def alert_for(staff: Staff, alert_id: object) -> Alert:
    staff.require(Perm.ALERTS_ACT)
    try:
        return Alert.objects.select_related("patient").get(
            clinic=staff.clinic, patient__clinic=staff.clinic, pk=int_id(alert_id))
    except (Alert.DoesNotExist, ValueError):
        raise Http404("No such alert") from None


def requests_of(staff: Staff) -> QuerySet[ReportRequest]:
    staff.require(Perm.SELFREPORT_VIEW)
    return ReportRequest.objects.filter(clinic=staff.clinic, patient__clinic=staff.clinic)
