"""Treatment routes: the one vocabulary every app uses (screening, protocols, doses, the
REMS forms, letters, the PK view). A route names a drug and how it is given; racemic
ketamine has five, esketamine one (the Spravato nasal spray device).

The pharmacokinetic simulator (`ketacare.clinical.pk`) has its own route names (how a dose
reaches the blood: "intranasal" rather than a product); `PK_ROUTE` maps a treatment route
to it, and `pk_model` picks the model a session's predicted curve uses (issue #6 item 4).
"""

from __future__ import annotations

ESKETAMINE_ROUTE = "esketamine_nasal"

ROUTES: dict[str, str] = {
    "iv": "IV racemic ketamine infusion",
    "im": "IM racemic ketamine injection",
    "sc": "SC racemic ketamine injection",
    "oral": "Oral racemic ketamine",
    "sublingual": "Sublingual racemic ketamine",
    ESKETAMINE_ROUTE: "Esketamine nasal spray (Spravato)",
}
# Narrow labels for tables (the progress letter's dose table).
SHORT_LABELS: dict[str, str] = {
    "iv": "IV", "im": "IM", "sc": "SC", "oral": "Oral", "sublingual": "Sublingual",
    ESKETAMINE_ROUTE: "Nasal spray",
}

RACEMIC: frozenset[str] = frozenset({"iv", "im", "sc", "oral", "sublingual"})
ESKETAMINE: frozenset[str] = frozenset({ESKETAMINE_ROUTE})
ALL_ROUTES: frozenset[str] = frozenset(ROUTES)

# The simulator's route for each treatment route.
PK_ROUTE: dict[str, str] = {
    "iv": "iv", "im": "im", "sc": "sc", "oral": "oral", "sublingual": "sublingual",
    ESKETAMINE_ROUTE: "intranasal",
}
# Esketamine has its own published model (Perez-Ruixo 2021); every racemic route uses
# Domino's, with the absorption assumptions of `clinical.pk.routes`.
ESKETAMINE_PK_MODEL = "perez-ruixo-2021"
RACEMIC_PK_MODEL = "domino"


def pk_model(route: str) -> str:
    """The PK model id for a treatment route's typical-patient curve."""
    return ESKETAMINE_PK_MODEL if route in ESKETAMINE else RACEMIC_PK_MODEL
