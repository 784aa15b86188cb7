from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketacare.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import (
            deploy_checks,  # noqa: F401  (registers `ketacare check`'s checks)
            signin_audit,  # noqa: F401  (sign-in events to the audit trail)
        )
