"""Sources and check notes several shipped protocols share, and the injectable racemic
dose rule IV, IM and SC start from (reference s.3)."""

from __future__ import annotations

from ..model import RACEMIC_CONCENTRATIONS_MG_ML, DoseRule

PHILLIPS_2019 = (
    "Phillips JL et al. Am J Psychiatry 2019;176:401-409: racemic ketamine 0.5 mg/kg IV "
    "over 40 min, 6 infusions thrice weekly, then weekly maintenance x4 (reference s.3)"
)
SPRAVATO_LABEL = "Spravato (esketamine) nasal spray label: dosing, observation, blood pressure"
REF_S4 = "clinical-reference.md s.4: pre-dose hold, in-session alerts, observation"
ALERTS_CHECK = (
    "In-session alert thresholds (SBP >= 180, DBP >= 110, SpO2 < 92, HR > 130 or < 50) "
    "are clinic defaults, not from a guideline [check]."
)
HOLD_ALL_ROUTES = (
    "The pre-dose BP hold (SBP > 140, > 150 from 65, DBP > 90) is from the esketamine "
    "label and trials; it is used as the clinic default for this route [check]."
)
CADSS_CHECK = (
    "Discharge waits while a recorded CADSS-6 total is above 0: a clinic default, no "
    "published discharge cut-off [check]."
)
ABS_MAX_CHECK = (
    "Absolute mg maximum is a product default that caps weight-based doses in heavy "
    "patients (some clinics dose on adjusted body weight instead) [check]."
)
INJECTABLE = DoseRule(
    basis="mg_per_kg",
    max_mg=100,
    default_mg_per_kg=0.5,
    min_mg_per_kg=0.1,
    usual_max_mg_per_kg=0.5,
    max_mg_per_kg=0.75,
    concentrations_mg_ml=RACEMIC_CONCENTRATIONS_MG_ML,
    concentration_required=True,
)
