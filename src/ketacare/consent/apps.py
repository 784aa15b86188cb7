from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "ketacare.consent"
    label = "consent"
    verbose_name = "Informed consent, patient education, aftercare and intake"

    def ready(self) -> None:
        # The FHIR Consent resource registers itself with the FHIR registry on import, and
        # the intake answers join its Questionnaire(Response) types, so the FHIR package
        # needs no edit to serve them.
        from . import fhir, fhir_intake  # noqa: F401
        from .hooks import register

        register()
