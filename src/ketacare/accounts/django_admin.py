"""Django's admin, for operators who turn it on (`KETACARE_DJANGO_ADMIN=true`): superusers
only, after a two-factor code, and every change it makes goes to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin.models import LogEntry
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from ketacare.audit.log import record
from ketacare.audit.models import Action

_FLAGS = {1: ("create", Action.CREATE), 2: ("change", Action.UPDATE),
          3: ("delete", Action.UPDATE)}


def _audit(entry: LogEntry, request: HttpRequest) -> None:
    """One audit entry per row the admin logged, in the same transaction as the change."""
    what, action = _FLAGS.get(entry.action_flag, ("other", Action.UPDATE))
    content_type = entry.content_type
    record(action, request=request, user=request.user, role="superuser (Django admin)",
           object_type=content_type.model if content_type else "",
           object_id=str(entry.object_id or "")[:64],
           detail={"django_admin": what, "object": entry.object_repr,
                   "change": entry.get_change_message()})


class AuditedAdmin(ModelAdmin):
    """Every add, change and delete the admin logs is audited. 'Delete selected' logs its
    rows with one bulk insert (no post_save per row), so this hooks the admin's own log
    calls rather than LogEntry's save."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        _audit(entry, request)
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        _audit(entry, request)
        return entry

    def log_deletions(self, request: HttpRequest,
                      queryset: QuerySet[Model]) -> list[LogEntry]:
        entries: list[LogEntry] = list(super().log_deletions(request, queryset))
        for entry in entries:
            _audit(entry, request)
        return entries


class KetaCareAdminSite(OTPAdminSite):
    site_header = "KetaCare operator admin"

    def has_permission(self, request: HttpRequest) -> bool:
        # OTPAdminSite: active staff with a verified two-factor session; and a superuser.
        return super().has_permission(request) and bool(request.user.is_superuser)

    def register(self, model_or_iterable: Any, admin_class: Any = None,
                 **options: Any) -> None:
        """Every model admin registered here (Django's, django-otp's, axes') is audited."""
        base = admin_class or ModelAdmin
        audited = type(base.__name__, (AuditedAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, audited, **options)
