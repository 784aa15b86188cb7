"""Published outcome benchmarks for the side-by-side panel (clinical reference s.6). Each
carries its design, N, instrument and time point so like is compared with like."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    study: str
    design: str
    n: int
    instrument: str
    timepoint: str
    result: str
    # The rates comparable with our post-induction PHQ-9 figures, where the study has them.
    response: float | None = None
    remission: float | None = None
    check: bool = False


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "McInnes 2022, J Affect Disord",
        "real-world IV ketamine",
        537,
        "PHQ-9",
        "14-31 days",
        "response 53.6%, remission 28.9%",
        0.536,
        0.289,
    ),
    Benchmark(
        "Oliver 2022, J Clin Psychiatry",
        "real-world IV ketamine",
        424,
        "PHQ-9",
        "6 weeks",
        "response 50%, remission 20%; after 10 infusions 72% / 38%",
        0.50,
        0.20,
    ),
    Benchmark(
        "Hull 2022, J Affect Disord (sponsor-run)",
        "at-home sublingual",
        1247,
        "PHQ-9 / GAD-7",
        "after session 4",
        "response 62.8% / 62.9%; remission 32.6% / 31.3%",
        0.628,
        0.326,
    ),
    Benchmark(
        "Phillips 2019, Am J Psychiatry",
        "6 IV infusions thrice weekly",
        41,
        "MADRS",
        "after the series",
        "59% response; median 3 infusions to response",
        0.59,
    ),
    Benchmark(
        "Popova 2019, Am J Psychiatry (TRANSFORM-2)",
        "esketamine + oral AD vs placebo + AD",
        223,
        "MADRS",
        "day 28",
        "response 69.3% vs 52.0%; remission (<= 12) 52.5% vs 31.0%",
        0.693,
        0.525,
    ),
    Benchmark(
        "Anand 2023, NEJM (ELEKT-D)",
        "ketamine vs ECT",
        403,
        "QIDS-SR16",
        "end of treatment",
        "response 55.4% vs 41.2%",
        0.554,
    ),
    Benchmark(
        "Wilkinson 2019 (9 trials)",
        "meta-analysis",
        367,
        "various",
        "day 1",
        "response 45-46% ketamine vs 18% midazolam",
    ),
    Benchmark(
        "Feder 2021, Am J Psychiatry",
        "PTSD, 6 infusions vs midazolam",
        30,
        "CAPS-5",
        "week 2",
        ">= 30% reduction in 67% vs 20%",
    ),
    Benchmark(
        "Abdallah 2022, Neuropsychopharmacology",
        "PTSD veterans",
        158,
        "PCL-5",
        "end of treatment",
        "no effect on PTSD",
    ),
    Benchmark(
        "Glue 2017, J Psychopharmacol",
        "GAD/SAD, SC ascending",
        12,
        "HAM-A / FQ",
        "per dose",
        "10/12 responders at 0.5-1 mg/kg",
    ),
    Benchmark(
        "Zarate 2006, Arch Gen Psychiatry",
        "crossover vs saline",
        18,
        "HDRS",
        "24 h",
        "71% response, 29% remission",
        0.71,
        0.29,
        check=True,
    ),
    Benchmark(
        "Murrough 2013, Am J Psychiatry",
        "ketamine vs midazolam",
        73,
        "MADRS",
        "24 h",
        "change -16.5 vs -8.8; response 64% vs 28%",
        0.64,
        check=True,
    ),
)
