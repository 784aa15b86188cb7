"""One module per FHIR resource type; importing this package registers them all."""

from . import (  # noqa: F401
    encounter,
    medication_administration,
    observation,
    patient,
    questionnaire,
    questionnaire_response,
)
