"""Django's admin, for operators who turn it on (`KETACARE_DJANGO_ADMIN=true`): superusers
only, after a two-factor code, and every change it makes goes to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from ketacare.audit.log import record
from ketacare.audit.models import Action


class KetaCareAdminSite(OTPAdminSite):
    site_header = "KetaCare operator admin"

    def has_permission(self, request: HttpRequest) -> bool:
        # OTPAdminSite: active staff with a verified two-factor session; and a superuser.
        return super().has_permission(request) and bool(request.user.is_superuser)


_FLAGS = {1: ("create", Action.CREATE), 2: ("change", Action.UPDATE),
          3: ("delete", Action.UPDATE)}


@receiver(post_save, sender=LogEntry)
def _audit_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """The admin writes a LogEntry for every add, change and delete, in the same
    transaction as the change: the audit entry goes with it."""
    if not created:
        return
    what, action = _FLAGS.get(instance.action_flag, ("other", Action.UPDATE))
    content_type = instance.content_type
    record(action, user=instance.user, role="superuser (Django admin)",
           object_type=content_type.model if content_type else "",
           object_id=str(instance.object_id or "")[:64],
           detail={"django_admin": what, "object": instance.object_repr,
                   "change": instance.get_change_message()})
