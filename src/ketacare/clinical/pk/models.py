"""Published parameter sets of the ketamine and esketamine models.

Every number comes from the clinical reference (clinical-reference.md, section 5, the table
of PK models); the source of each set is cited next to it. Units are those of the publication
(racemic micro-constants per minute, esketamine clearances in L/h); conversion to the
simulator's minutes happens in `system.py`, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

RACEMIC_ROUTES: tuple[str, ...] = ("iv", "im", "sc", "oral", "sublingual", "intranasal")
# The esketamine model was fitted to nasal, IV and oral-solution data only (reference
# section 5: "IN/IV/PO"); IM, SC and sublingual esketamine would be extrapolation.
ESKETAMINE_ROUTES: tuple[str, ...] = ("intranasal", "iv", "oral")
ROUTES: tuple[str, ...] = RACEMIC_ROUTES


@dataclass(frozen=True)
class RacemicModel:
    """A weight-scaled mammillary model of racemic ketamine (micro-constants per minute)."""

    id: str
    title: str
    population: str
    source: str
    v1_l_per_kg: float
    k10: float
    k12: float
    k21: float
    k13: float = 0.0
    k31: float = 0.0
    caveat: str | None = None

    @property
    def n_disposition(self) -> int:
        return 3 if self.k13 > 0 else 2


# Domino et al. (PMID 7198883), the Stanpump set used by open TCI software; reference s.5.
DOMINO = RacemicModel(
    id="domino",
    title="Domino (3-compartment, Stanpump set)",
    population="adults, racemic IV",
    source="Domino et al. (PMID 7198883) as used in open TCI software",
    v1_l_per_kg=0.063,
    k10=0.4381,
    k12=0.5921,
    k21=0.2470,
    k13=0.5900,
    k31=0.0146,
)

# Clements & Nimmo, BJA 1981;53:27; reference s.5 marks V1 [check: unusually large].
CLEMENTS_250 = RacemicModel(
    id="clements-250",
    title="Clements 250 (2-compartment)",
    population="adults, racemic",
    source="Clements & Nimmo, BJA 1981;53:27",
    v1_l_per_kg=1.7522,
    k10=0.0109,
    k12=0.0186,
    k21=0.0137,
    caveat="V1 = 1.7522 L/kg is unusually large [check, clinical reference s.5]",
)

# Hijazi et al., BJA 2003;90:155 (ICU adults; terminal t1/2 ~4.9 h); reference s.5.
HIJAZI_2003 = RacemicModel(
    id="hijazi-2003",
    title="Hijazi 2003 (2-compartment, ICU adults)",
    population="ICU adults, racemic",
    source="Hijazi et al., BJA 2003;90:155",
    v1_l_per_kg=1.08,
    k10=0.0333,
    k12=0.0088,
    k21=0.0030,
)


@dataclass(frozen=True)
class EsketamineModel:
    """Perez-Ruixo 2021 esketamine + noresketamine model, typical values (L, L/h, 1/h)."""

    id: str
    title: str
    population: str
    source: str
    vc_l: float
    q1_l_h: float
    vp1_l: float
    q2_l_h: float
    vp2_l: float
    qh_l_h: float
    qh_age_slope_l_h_per_year: float
    qh_age_threshold_y: float
    vh_l: float
    kel_per_h: float
    kmet_per_h: float
    frn: float
    frn_later_device_factor: float
    ka_nasal_per_h: float
    fgut: float
    swallowed_zero_order_h: float
    ka_swallowed_per_h: float
    oral_zero_order_h: float
    ka_oral_per_h: float
    vcn_l: float
    cln_l_h: float
    q3_l_h: float
    vpn_l: float
    device_mg: float
    device_interval_min: float
    max_devices: int


# Perez-Ruixo et al., Clin Pharmacokinet 2021;60:501, Table 3, as transcribed in the
# clinical reference s.5. Checked against the paper's Table 4 in tests/clinical/pk.
PEREZ_RUIXO_2021 = EsketamineModel(
    id="perez-ruixo-2021",
    title="Perez-Ruixo 2021 (esketamine + noresketamine, hepato-portal first pass)",
    population="esketamine, 820 healthy subjects + TRD patients, IN/IV/PO",
    source="Perez-Ruixo et al., Clin Pharmacokinet 2021;60:501, Table 3",
    vc_l=192.0,
    q1_l_h=84.3,
    vp1_l=143.0,
    q2_l_h=37.6,
    vp2_l=417.0,
    qh_l_h=151.0,
    qh_age_slope_l_h_per_year=2.19,  # "minus 2.19 L/h per year of age over 60"
    qh_age_threshold_y=60.0,
    vh_l=101.0,
    kel_per_h=1.11,  # elimination from the liver compartment (other pathways)
    kmet_per_h=2.77,  # liver -> noresketamine
    frn=0.54,  # fraction of a spray absorbed through the nasal cavity
    frn_later_device_factor=0.62,  # second and later sprays x0.62
    ka_nasal_per_h=2.93,
    fgut=0.64,
    swallowed_zero_order_h=0.53,
    ka_swallowed_per_h=1.45,
    oral_zero_order_h=0.32,
    ka_oral_per_h=0.97,
    vcn_l=70.0,
    cln_l_h=38.0,
    q3_l_h=26.1,
    vpn_l=115.0,
    # Spravato: 28 mg per device, 5 min between devices, 56 or 84 mg per session
    # (clinical reference s.3).
    device_mg=28.0,
    device_interval_min=5.0,
    max_devices=3,
)

# Inter-individual variability, Perez-Ruixo 2021 Table 3 (CV%, log-normal) and FRn on the
# logit scale (SD 0.708); reference s.5.
PEREZ_RUIXO_2021_IIV_CV: dict[str, float] = {
    "ka_nasal_per_h": 0.615,
    "vc_l": 0.275,
    "vp1_l": 0.493,
    "qh_l_h": 0.232,
    "vh_l": 0.346,
    "kel_per_h": 1.20,
    "vcn_l": 0.316,
    "cln_l_h": 0.254,
}
PEREZ_RUIXO_2021_FRN_LOGIT_SD = 0.708

# The racemic models publish no inter-individual variability in the reference. Population
# mode would otherwise return identical patients, so we apply an ASSUMED log-normal CV to
# V1, k10 and the absorption rate; it is reported in every result's assumptions and can be
# set to 0. 30% is a round figure of the size typical for IV anaesthetic PK models, not a
# published value for these sets.
RACEMIC_ASSUMED_CV = 0.30

RACEMIC_MODELS: dict[str, RacemicModel] = {m.id: m for m in (DOMINO, CLEMENTS_250, HIJAZI_2003)}
ESKETAMINE_MODELS: dict[str, EsketamineModel] = {PEREZ_RUIXO_2021.id: PEREZ_RUIXO_2021}
MODEL_IDS: tuple[str, ...] = (*RACEMIC_MODELS, *ESKETAMINE_MODELS)

# Body-weight range accepted for dosing and weight-scaled volumes (issue #6).
WEIGHT_RANGE_KG = (20.0, 300.0)
# Adults only: every model here was fitted in adults.
AGE_RANGE_Y = (18.0, 100.0)


def routes_for(model_id: str) -> tuple[str, ...]:
    """The routes a model can simulate (its published structure or documented absorption)."""
    if model_id in ESKETAMINE_MODELS:
        return ESKETAMINE_ROUTES
    return RACEMIC_ROUTES


def model_title(model_id: str) -> str:
    if model_id in ESKETAMINE_MODELS:
        return ESKETAMINE_MODELS[model_id].title
    return RACEMIC_MODELS[model_id].title


def model_source(model_id: str) -> str:
    if model_id in ESKETAMINE_MODELS:
        return ESKETAMINE_MODELS[model_id].source
    return RACEMIC_MODELS[model_id].source
