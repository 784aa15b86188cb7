"""perez-ruixo-2021 against the paper's Table 4 (clinical reference s.5): Caucasian adults
18-60 y, typical values, esketamine nasal 28 / 56 / 84 mg (1 / 2 / 3 devices)."""

from __future__ import annotations

import pytest

from ketacare.clinical import pk

# dose mg: (esketamine Cmax ng/mL, AUC0-24 ng.h/mL, noresketamine Cmax ng/mL)
TABLE_4 = {
    28.0: (43.8, 147.3, 59.1),
    56.0: (72.5, 254.7, 119.7),
    84.0: (101.0, 362.2, 180.0),
}


@pytest.mark.parametrize("dose", sorted(TABLE_4))
def test_table_4_within_5_percent(dose: float) -> None:
    cmax, auc, metabolite_cmax = TABLE_4[dose]
    s = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", dose)], pk.Patient(age_y=40))
    assert s["cmax_ng_ml"] == pytest.approx(cmax, rel=0.05)
    assert s["auc_0_24h_ng_h_ml"] == pytest.approx(auc, rel=0.05)
    assert s["metabolite_cmax_ng_ml"] == pytest.approx(metabolite_cmax, rel=0.05)
    # Our reading of the structure actually lands within 1% (see docs/pk.md).
    assert s["cmax_ng_ml"] == pytest.approx(cmax, rel=0.01)
    assert s["auc_0_24h_ng_h_ml"] == pytest.approx(auc, rel=0.01)
    assert s["metabolite_cmax_ng_ml"] == pytest.approx(metabolite_cmax, rel=0.01)


def test_tmax_near_label() -> None:
    """Label: esketamine peaks 20-40 min after dosing; here measured from the first device
    (the last of three devices is given at 10 min)."""
    for dose in TABLE_4:
        s = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", dose)])
        assert 20 <= s["tmax_min"] <= 45


def test_age_over_60_lowers_hepatic_flow_and_raises_exposure() -> None:
    young = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", 56)], pk.Patient(age_y=60))
    old = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", 56)], pk.Patient(age_y=80))
    same = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", 56)], pk.Patient(age_y=25))
    assert old["auc_0_24h_ng_h_ml"] > young["auc_0_24h_ng_h_ml"]
    assert same["auc_0_24h_ng_h_ml"] == young["auc_0_24h_ng_h_ml"]


def test_later_devices_absorb_less_through_the_nose() -> None:
    """Per-spray FRn rule: 84 mg gives less than 3x the 28 mg exposure."""
    one = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", 28)])
    three = pk.summarize("perez-ruixo-2021", [pk.Dose("intranasal", 84)])
    assert three["auc_0_24h_ng_h_ml"] < 3 * one["auc_0_24h_ng_h_ml"]


@pytest.mark.parametrize("dose", [14.0, 50.0, 112.0])
def test_nasal_dose_must_be_whole_devices(dose: float) -> None:
    with pytest.raises(pk.PKInputError, match="28 mg per device"):
        pk.simulate("perez-ruixo-2021", [pk.Dose("intranasal", dose)])
