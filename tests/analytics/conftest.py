"""Treatment fixtures for the dashboard tests."""

from tests.treatment.conftest import (  # noqa: F401  (fixtures re-exported)
    nurse,
    prescriber,
    ready_patient,
    stock,
)
