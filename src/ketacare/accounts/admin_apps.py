"""App config for Django's admin (imported while apps load: no model imports here)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class KetaCareAdminConfig(AdminConfig):
    # Superusers with two-factor only; every change audited (accounts/django_admin.py).
    default_site = "ketacare.accounts.django_admin.KetaCareAdminSite"
