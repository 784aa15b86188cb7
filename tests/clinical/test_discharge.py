"""The discharge checklist: one test per criterion, each at its threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ketacare.clinical import discharge
from ketacare.clinical.protocols import get
from ketacare.clinical.safety import SafetyInputError, Vitals

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
GOOD = Vitals(sbp=128, dbp=80, hr=76, spo2=97, rr=14)


def check(protocol_id: str = "esketamine", **kw: Any) -> discharge.Checklist:
    args: dict[str, Any] = {
        "vitals": GOOD, "age_years": 45, "moaas": 5, "sedation_judgement": None,
        "dissociation_resolved": True, "cadss6_total": 0, "escort_present": True,
        "observation_started_at": NOW - timedelta(minutes=125), "bp_minutes": [40, 120],
        "now": NOW,
    }
    args.update(kw)
    return discharge.check(get(protocol_id), **args)


def unmet(c: discharge.Checklist) -> list[str]:
    return [i.code for i in c.unmet]


def test_ready_lists_every_criterion_with_rule_and_source() -> None:
    c = check()
    assert c.ready and c.unmet == ()
    assert [i.code for i in c.items] == ["observation", "sedation", "spo2", "vitals",
                                         "bp_recheck", "dissociation", "escort"]
    assert all(i.rule and i.source for i in c.items)
    assert c.as_dict()["ready"] is True


def test_observation_time() -> None:
    assert unmet(check(observation_started_at=NOW - timedelta(minutes=119))) == ["observation"]
    assert check(observation_started_at=NOW - timedelta(minutes=120)).ready


def test_sedation_needs_moaas_5_or_a_prescribers_judgement() -> None:
    assert unmet(check(moaas=4)) == ["sedation"]
    assert "MOAA/S 4 < 5" in check(moaas=4).message()
    assert unmet(check(moaas=None)) == ["sedation"]
    assert check(moaas=4, sedation_judgement="Drowsy but oriented; baseline for her").ready
    assert unmet(check(moaas=4, sedation_judgement="  ")) == ["sedation"]
    with pytest.raises(SafetyInputError, match="moaas"):
        check(moaas=6)


def test_spo2_at_or_above_the_threshold_at_the_last_check() -> None:
    assert check(vitals=replace(GOOD, spo2=92)).ready
    low = check(vitals=replace(GOOD, spo2=91))
    assert "spo2" in unmet(low) and "SpO2 91% < 92%" in low.message()
    assert "spo2" in unmet(check(vitals=replace(GOOD, spo2=95), spo2_min=96))
    assert "spo2" in unmet(check(vitals=replace(GOOD, spo2=None)))


def test_vitals_within_limits() -> None:
    assert unmet(check(vitals=replace(GOOD, sbp=145))) == ["vitals"]
    assert unmet(check(vitals=replace(GOOD, hr=None))) == ["vitals"]


def test_bp_recheck_30_to_50_min_for_esketamine_and_iv_only() -> None:
    assert check(bp_minutes=[30]).ready and check(bp_minutes=[50]).ready
    assert unmet(check(bp_minutes=[29, 51])) == ["bp_recheck"]
    assert unmet(check("iv-induction", bp_minutes=[], observation_started_at=NOW - timedelta(
        minutes=31))) == ["bp_recheck"]
    for protocol_id in ("im", "sc", "oral", "sublingual"):
        items = [i.code for i in check(protocol_id, bp_minutes=[],
                                       observation_started_at=NOW - timedelta(hours=3)).items]
        assert "bp_recheck" not in items


def test_dissociation_rule_is_written_before_it_is_applied() -> None:
    rule = dict(discharge.rules(get("esketamine")))["dissociation"]
    assert rule == "Dissociation resolved per the clinician, and CADSS-6 at most 0 if recorded"
    assert unmet(check(cadss6_total=1)) == ["dissociation"]
    assert unmet(check(dissociation_resolved=False)) == ["dissociation"]


def test_escort() -> None:
    assert unmet(check(escort_present=False)) == ["escort"]
