"""Issue 14 item 6: interaction warnings from the esketamine label's section 7."""

from __future__ import annotations

import pytest

from ketacare.clinical.interactions import interactions

ESK = "esketamine_nasal"


def test_nothing_to_warn() -> None:
    assert interactions([], route=ESK) == ()
    assert interactions([("antidepressant", "sertraline"), ("other", "x")], route=ESK) == ()
    assert interactions([("antipsychotic", "quetiapine")], alcohol_use=False, route="iv") == ()


@pytest.mark.parametrize("category", ["benzodiazepine", "opioid", "hypnotic"])
def test_cns_depressants_warn_of_sedation(category: str) -> None:
    (w,) = interactions([(category, "drug X 5 mg")], route=ESK)
    assert w.effect == "sedation" and "drug X 5 mg" in w.message
    assert "sedation" in w.message and "7.1" in w.source and not w.check


def test_alcohol_use_alone_warns_of_sedation() -> None:
    (w,) = interactions([], alcohol_use=True, route=ESK)
    assert (w.effect, w.causes) == ("sedation", ("alcohol use",))


@pytest.mark.parametrize("category", ["psychostimulant", "maoi"])
def test_pressors_warn_of_blood_pressure(category: str) -> None:
    (w,) = interactions([(category, "drug Y")], route=ESK)
    assert w.effect == "blood_pressure" and "blood pressure" in w.message.lower()
    assert "7.2-7.3" in w.source


def test_both_warnings_sedation_first_naming_every_cause() -> None:
    found = interactions(
        [("maoi", "phenelzine"), ("opioid", "tramadol"), ("benzodiazepine", "lorazepam")],
        alcohol_use=True, route=ESK)
    assert [w.effect for w in found] == ["sedation", "blood_pressure"]
    assert found[0].causes == ("opioid: tramadol", "benzodiazepine: lorazepam", "alcohol use")
    assert found[1].causes == ("MAOI: phenelzine",)


def test_racemic_routes_warn_by_analogy() -> None:
    (w,) = interactions([("opioid", "oxycodone")], route="iv")
    assert w.check and "[check]" in w.source
