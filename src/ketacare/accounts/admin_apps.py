"""App config for Django's admin (imported while apps load: no model imports here)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class KetaCareAdminConfig(AdminConfig):
    default_site = "ketacare.accounts.django_admin.KetaCareAdminSite"

    def ready(self) -> None:
        super().ready()
        from . import django_admin  # noqa: F401  (connects the audit receiver)
