"""Issue 14 item 12: the IV bag and pump rate, worked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical import dosing, protocols
from ketacare.clinical.iv_prep import IV_BAG_VOLUME_ML, iv_preparation


def test_standard_infusion_worked_by_hand() -> None:
    # 0.5 mg/kg x 80 kg = 40 mg of 10 mg/mL = 4 mL into a 100 mL bag: 104 mL over 40 min
    # = 156 mL/h; 40 / 104 = 0.3846 -> 0.38 mg/mL.
    p = iv_preparation(40, 4.0, infusion_min=40)
    assert (p.draw_ml, p.bag_ml, p.total_ml, p.rate_ml_h, p.bag_mg_ml) == (
        4.0, 100, 104.0, 156.0, 0.38)
    assert IV_BAG_VOLUME_ML == 100


def test_rate_rounds_half_up_to_a_tenth() -> None:
    # 100 + 0.25 = 100.25 mL over 40 min = 150.375 -> 150.4 mL/h.
    assert iv_preparation(25, 0.25, infusion_min=40).rate_ml_h == 150.4
    # 50 + 0.05 = 50.05 mL over 60 min = 50.05 -> 50.1 mL/h (half up).
    assert iv_preparation(5, 0.05, infusion_min=60, bag_volume_ml=50).rate_ml_h == 50.1


def test_from_the_dose_calculator() -> None:
    protocol = protocols.get("iv-induction")
    dose = dosing.calculate_dose(protocol, weight_kg=73, weight_measured_on=date(2026, 12, 1),
                                 today=date(2026, 12, 6), concentration_mg_ml=10)
    # 36.5 mg -> 3.65 mL; 3.7 mL would pass the usual 0.5 mg/kg, so 3.6 mL (36 mg).
    assert dose.volume_ml == 3.6
    p = iv_preparation(dose.dose_mg, dose.volume_ml or 0, infusion_min=protocol.infusion_min or 0,
                       bag_volume_ml=250)
    assert p.total_ml == 253.6 and p.rate_ml_h == 380.4  # 253.6 x 60 / 40


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"dose_mg": 0}, "dose_mg"),
        ({"dose_mg": float("nan")}, "dose_mg"),
        ({"draw_ml": -1}, "draw_ml"),
        ({"draw_ml": True}, "draw_ml"),
        ({"infusion_min": 0}, "infusion_min"),
        ({"infusion_min": 481}, "infusion_min"),
        ({"bag_volume_ml": 19}, "bag_volume_ml"),
        ({"bag_volume_ml": 1001}, "bag_volume_ml"),
        ({"bag_volume_ml": 100.0}, "bag_volume_ml"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"dose_mg": 40, "draw_ml": 4.0, "infusion_min": 40,
                               "bag_volume_ml": 100, **kwargs}
    with pytest.raises(dosing.DoseError, match=f"^{field}: "):
        iv_preparation(**args)  # type: ignore[arg-type]


def test_range_edges_are_allowed() -> None:
    assert iv_preparation(1, 0.01, infusion_min=1, bag_volume_ml=20).total_ml == 20.01
    assert iv_preparation(1, 0.01, infusion_min=480, bag_volume_ml=1000).rate_ml_h == 125.0


@given(st.integers(1, 100), st.integers(1, 2000), st.integers(1, 480), st.integers(20, 1000))
def test_pump_delivers_the_bag_in_the_infusion_time(
    dose_mg: int, draw_centi_ml: int, minutes: int, bag: int
) -> None:
    p = iv_preparation(dose_mg, draw_centi_ml / 100, infusion_min=minutes, bag_volume_ml=bag)
    # Rounded to 0.1 mL/h, the volume infused in the time is within 0.05 mL/h of the bag.
    assert abs(p.rate_ml_h * minutes / 60 - p.total_ml) <= 0.05 * minutes / 60 + 1e-9
    assert abs(p.bag_mg_ml - dose_mg / p.total_ml) <= 0.005 + 1e-12
