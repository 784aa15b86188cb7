"""PCL-5: clusters, provisional DSM-5 diagnosis at each cluster's edge, probable PTSD."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, get, pcl5

PCL5 = get("pcl5")
CLUSTER_ITEMS = {"B": range(1, 6), "C": range(6, 8), "D": range(8, 15), "E": range(15, 21)}
NEEDED = {"B": 1, "C": 1, "D": 2, "E": 2}


def answers(ratings: dict[int, int]) -> list[int]:
    """20 answers, 0 except the item number -> rating pairs given."""
    return [ratings.get(n, 0) for n in range(1, 21)]


# The least that meets the provisional rule: exactly the needed items at 2.
MINIMAL_DIAGNOSIS = {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}


def test_minimal_endorsement_is_provisional_ptsd() -> None:
    result = PCL5.score(answers(MINIMAL_DIAGNOSIS))
    assert result.extras["provisional_ptsd"] is True
    assert result.total == 12
    assert result.extras["probable_ptsd"] is False  # diagnosis and cutoff are independent


@pytest.mark.parametrize("cluster", ["B", "C", "D", "E"])
def test_one_endorsement_short_in_a_cluster_is_not_provisional(cluster: str) -> None:
    ratings = dict(MINIMAL_DIAGNOSIS)
    endorsed = [n for n in CLUSTER_ITEMS[cluster] if n in ratings]
    ratings[endorsed[0]] = 1  # a rating of 1 is not endorsed
    assert PCL5.score(answers(ratings)).extras["provisional_ptsd"] is False


@pytest.mark.parametrize("cluster", ["B", "C", "D", "E"])
def test_all_cluster_items_at_1_is_not_provisional(cluster: str) -> None:
    """A high cluster sum made of 1s endorses nothing (e.g. all B items at 1 vs one at 2)."""
    ratings = {n: v for n, v in MINIMAL_DIAGNOSIS.items() if n not in CLUSTER_ITEMS[cluster]}
    ratings.update({n: 1 for n in CLUSTER_ITEMS[cluster]})
    result = PCL5.score(answers(ratings))
    assert result.extras["clusters"][cluster] == len(CLUSTER_ITEMS[cluster])
    assert result.extras["provisional_ptsd"] is False


@pytest.mark.parametrize("cluster", ["B", "C", "D", "E"])
def test_any_items_of_a_cluster_count(cluster: str) -> None:
    """The needed endorsements may be any items of the cluster, e.g. the last ones."""
    ratings = {n: v for n, v in MINIMAL_DIAGNOSIS.items() if n not in CLUSTER_ITEMS[cluster]}
    ratings.update({n: 4 for n in list(CLUSTER_ITEMS[cluster])[-NEEDED[cluster]:]})
    assert PCL5.score(answers(ratings)).extras["provisional_ptsd"] is True


def test_endorsement_threshold_is_2() -> None:
    assert pcl5.ENDORSED_MIN == 2
    assert pcl5.endorsed_counts(tuple(answers(MINIMAL_DIAGNOSIS))) == NEEDED


def test_clusters_sums() -> None:
    values = [n % 5 for n in range(1, 21)]  # 1,2,3,4,0,1,2,...
    result = PCL5.score(values)
    assert result.extras["clusters"] == {
        "B": 1 + 2 + 3 + 4 + 0,
        "C": 1 + 2,
        "D": 3 + 4 + 0 + 1 + 2 + 3 + 4,
        "E": 0 + 1 + 2 + 3 + 4 + 0,
    }
    assert sum(result.extras["clusters"].values()) == result.total


def test_extras_keys_exact() -> None:
    out = PCL5.score([0] * 20).as_dict()
    assert set(out) == {
        "instrument", "total", "min", "max", "severity", "flags",
        "clusters", "endorsed", "provisional_ptsd", "probable_ptsd",
    }
    assert out["severity"] is None  # no official bands
    assert out["flags"] == []
    assert (out["min"], out["max"]) == (0, 80)


def total_of(total: int) -> list[int]:
    values = []
    for _ in range(20):
        step = min(4, total)
        values.append(step)
        total -= step
    return values


def test_probable_ptsd_default_cutoff_edge() -> None:
    assert pcl5.PROBABLE_PTSD_CUTOFF == 33
    assert PCL5.score(total_of(32)).extras["probable_ptsd"] is False
    assert PCL5.score(total_of(33)).extras["probable_ptsd"] is True


@pytest.mark.parametrize("cutoff", [31, 32, 33])
def test_probable_ptsd_configurable_cutoff(cutoff: int) -> None:
    clinic = pcl5.with_cutoff(cutoff)
    assert clinic.id == "pcl5"
    assert clinic.score(total_of(cutoff - 1)).extras["probable_ptsd"] is False
    assert clinic.score(total_of(cutoff)).extras["probable_ptsd"] is True
    # the registry copy keeps the default
    assert PCL5.score(total_of(32)).extras["probable_ptsd"] is False


def test_cutoff_keyword_and_module_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    values = tuple(total_of(31))
    assert pcl5.score(PCL5, values, cutoff=31).extras["probable_ptsd"] is True
    assert pcl5.score(PCL5, values).extras["probable_ptsd"] is False
    monkeypatch.setattr(pcl5, "PROBABLE_PTSD_CUTOFF", 31)
    assert PCL5.score(values).extras["probable_ptsd"] is True


@pytest.mark.parametrize("cutoff", [-1, 81])
def test_cutoff_out_of_range(cutoff: int) -> None:
    with pytest.raises(ValueError, match="pcl5 probable PTSD cutoff"):
        pcl5.with_cutoff(cutoff)


def test_reference_settings() -> None:
    assert PCL5.loinc_panel == "101697-1"
    assert PCL5.loinc_total == "101698-9"
    assert PCL5.remission is not None
    assert (PCL5.remission.max_total, PCL5.remission.min_drop) == (32, 10)
    assert PCL5.clinical_range_min == 33
    assert PCL5.bands == ()
    assert PCL5.full_text_bundled
    assert PCL5.recall_period == "In the past month"
    assert all(item.text for item in PCL5.items)
    assert [o.label for o in PCL5.items[0].options] == [
        "Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely",
    ]
    assert PCL5.items[19].text == "Trouble falling or staying asleep?"


@given(st.lists(st.integers(0, 4), min_size=20, max_size=20))
def test_properties(values: list[int]) -> None:
    result = PCL5.score(values)
    assert result.total == sum(values)
    assert 0 <= result.total <= 80
    clusters = result.extras["clusters"]
    assert sum(clusters.values()) == result.total
    endorsed = {
        c: sum(1 for n in items if values[n - 1] >= 2) for c, items in CLUSTER_ITEMS.items()
    }
    expected = all(endorsed[c] >= NEEDED[c] for c in NEEDED)
    assert result.extras["provisional_ptsd"] is expected
    assert result.extras["probable_ptsd"] is (result.total >= 33)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 19, "pcl5: expected 20 values (items 1-20), got 19"),
        ([0] * 21, "got 21"),
        ([0] * 19 + [5], "pcl5 item 20: 5 is out of range; allowed values are 0, 1, 2, 3, 4"),
        ([0] * 4 + ["2.5"] + [0] * 15, "pcl5 item 5: '2.5' is not a number"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        PCL5.score(values)
    assert fragment in str(info.value)


def test_endorsed_counts_are_returned() -> None:
    """The calculator's "items >= 2" column reads these (issue #14 item 14)."""
    ratings = [1] * 20
    ratings[0] = 2  # B: item 1 at the threshold
    ratings[5] = 4  # C: item 6
    ratings[7] = ratings[8] = 2  # D: items 8 and 9
    ratings[19] = 3  # E: item 20 only
    out = PCL5.score(ratings).extras
    assert out["endorsed"] == {"B": 1, "C": 1, "D": 2, "E": 1}
    assert out["provisional_ptsd"] is False  # E needs 2
