"""The session-day page's predicted curve is simulated once per dose drawn, then served
from the chart cache by its inputs (the page is reloaded all through a session)."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from ketacare.charts import CACHE
from ketacare.clinical import pk
from ketacare.treatment.read.curve import predicted_curve


@pytest.fixture
def simulations(monkeypatch):  # type: ignore[no-untyped-def]
    """How many times the PK model ran (the real one, counted)."""
    caches[CACHE].clear()
    runs: list[int] = []
    real = pk.compare_scenarios

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pk, "compare_scenarios", counted)
    return runs


def test_the_same_dose_is_simulated_once(simulations) -> None:  # type: ignore[no-untyped-def]
    first = predicted_curve("iv", 35.0, weight_kg=70.0, age=40, infusion_min=40,
                            label="given 35 mg")
    again = predicted_curve("iv", 35.0, weight_kg=70.0, age=40, infusion_min=40,
                            label="given 35 mg")
    assert first is not None and first.startswith("<svg") and again == first
    assert len(simulations) == 1
    other = predicted_curve("iv", 40.0, weight_kg=70.0, age=40, infusion_min=40,
                            label="given 40 mg")
    assert other is not None and other != first and "given 40 mg" in other
    assert len(simulations) == 2


def test_a_curve_that_cannot_be_drawn_stays_none(simulations) -> None:  # type: ignore[no-untyped-def]
    """Without a weight the weight-scaled IV model cannot run: no curve, asked once."""
    for _ in range(2):
        assert predicted_curve("iv", 35.0, weight_kg=None, age=40, infusion_min=40,
                               label="given 35 mg") is None
    assert len(simulations) == 1
