"""Small-cell suppression of the clinic dashboard's report (page and PDF).

A count below the clinic's threshold k, or a denominator whose rest (n - count) is below
it, is shown as "fewer than k" and its rate and interval are withheld: with both sides
hidden, two views that differ by one patient no longer show that patient's result."""

from __future__ import annotations

from typing import Any

RATE_PARTS = ("k", "n", "rate", "ci95_low", "ci95_high")


def _is_rate(value: Any) -> bool:
    return isinstance(value, dict) and set(RATE_PARTS) <= set(value)


def suppress_rate(rate: dict[str, Any], k_min: int) -> dict[str, Any]:
    """The rate as shown: unchanged when both sides reach k_min, otherwise without the
    rate, interval and the side(s) below the threshold (`hidden` says which)."""
    k, n = rate["k"], rate["n"]
    if n == 0 or (k >= k_min and n - k >= k_min):
        return rate
    hidden = "n" if n < k_min else ("k" if k < k_min else "rest")
    return {"k": None, "n": None if hidden == "n" else n, "rate": None, "ci95_low": None,
            "ci95_high": None, "hidden": hidden, "fewer_than": k_min}


def suppress_report(report: dict[str, Any], k_min: int) -> dict[str, Any]:
    """Every rate of every row, and each row's count in clinical range."""
    rows = []
    for row in report["rows"]:
        shown = {key: suppress_rate(v, k_min) if _is_rate(v) else v for key, v in row.items()}
        count = row.get("n_clinical_range")
        if isinstance(count, int) and 0 < count < k_min:
            shown["n_clinical_range"] = f"fewer than {k_min}"
        rows.append(shown)
    return {**report, "rows": rows, "k_min": k_min}


def rate_words(rate: dict[str, Any]) -> str:
    """How a suppressed rate reads, on the page and in the PDF."""
    k_min = rate["fewer_than"]
    if rate["hidden"] == "n":
        return f"fewer than {k_min} assessed"
    if rate["hidden"] == "k":
        return f"fewer than {k_min} of {rate['n']}"
    return f"all but fewer than {k_min} of {rate['n']}"
