"""The web benchmark's ratios (bench/web/run.py `interleaved`): each endpoint runs between
two runs of the trivial page and is compared with them, so a machine whose speed drifts
during the run does not bias the ratios of the endpoints measured late."""

from __future__ import annotations

from bench.web.run import Endpoint, Result, interleaved

TRIVIAL = Endpoint("trivial", "GET", "/calculator/")
CHART = Endpoint("chart", "GET", "/patients/x/")
FHIR = Endpoint("fhir", "GET", "/fhir/Patient")
COST = {"trivial": 1.0, "chart": 2.0, "fhir": 4.0}  # seconds of work per request, at speed 1


def test_ratios_hold_on_a_machine_that_slows_down_during_the_run() -> None:
    runs: list[str] = []

    def measure(ep: Endpoint) -> Result:
        speed = 1.0 - 0.05 * len(runs)  # 5% slower at every run
        runs.append(ep.name)
        requests = int(1000 * speed / COST[ep.name])
        return Result(latencies_s=[COST[ep.name] / speed] * requests, seconds=10.0)

    pooled, ratios = interleaved(measure, TRIVIAL, [CHART, FHIR], rounds=2)
    assert runs == ["trivial", "chart", "trivial", "fhir", "trivial"] * 2
    assert abs(ratios["chart"] - 0.5) < 0.01 and abs(ratios["fhir"] - 0.25) < 0.01
    # Against the first trivial run alone, as before, the later endpoint looked 5-10% slower.
    first_trivial = 1000 / 10.0
    assert pooled["fhir"].rate() / first_trivial < 0.25 * 0.9
    assert len(pooled["trivial"].latencies_s) > len(pooled["chart"].latencies_s)
    assert pooled["chart"].seconds == 20.0 and pooled["trivial"].seconds == 60.0


def test_unevenness_is_the_most_uneven_bursts_busiest_over_least_busy_client() -> None:
    even = Result(clients=[[50, 52, 49, 51]], seconds=6.0)
    pinned = Result(clients=[[344, 64, 66, 69]], seconds=6.0)  # one client alone on a worker
    assert even.unevenness() == 1.06
    even.add(pinned)
    assert even.clients == [[50, 52, 49, 51], [344, 64, 66, 69]]
    assert even.unevenness() == 5.38
    assert Result().unevenness() is None
    assert Result(clients=[[3, 0]]).unevenness() == 3.0  # a client with no answer counts as 1
