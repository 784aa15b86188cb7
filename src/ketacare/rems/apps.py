from django.apps import AppConfig


class RemsConfig(AppConfig):
    name = "ketacare.rems"
    label = "rems"
    verbose_name = "Spravato REMS monitoring forms"

    def ready(self) -> None:
        # No first esketamine dose of a patient not enrolled in the REMS: a dose gate
        # treatment asks without importing this app (treatment.hooks).
        from ketacare.treatment import hooks

        from .enrollment import dose_refusal

        hooks.add_dose_gate("rems", dose_refusal)
