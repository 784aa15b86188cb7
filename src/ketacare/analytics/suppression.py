"""Small-cell suppression of the clinic dashboard's report (page and PDF).

A count below the clinic's threshold k, or a denominator whose rest (n - count) is below
it, is shown as "fewer than k" and its rate and interval are withheld: with both sides
hidden, two views that differ by one patient no longer show that patient's result. The
same rule holds for the retention funnel (a step against the last step shown) and the
time-to-response curve (a step against the patients at risk)."""

from __future__ import annotations

from typing import Any

from .km import km_median

RATE_PARTS = ("k", "n", "rate", "ci95_low", "ci95_high")


def _is_rate(value: Any) -> bool:
    return isinstance(value, dict) and set(RATE_PARTS) <= set(value)


def hidden_side(k: int, n: int, k_min: int) -> str | None:
    """Which side of k out of n is below k_min: "n", "k", "rest" (n - k), or None."""
    if k >= k_min and n - k >= k_min:
        return None
    return "n" if n < k_min else ("k" if k < k_min else "rest")


def suppress_rate(rate: dict[str, Any], k_min: int) -> dict[str, Any]:
    """The rate as shown: unchanged when both sides reach k_min, otherwise without the
    rate, interval and the side(s) below the threshold (`hidden` says which)."""
    hidden = None if rate["n"] == 0 else hidden_side(rate["k"], rate["n"], k_min)
    if hidden is None:
        return rate
    n = rate["n"]
    return {"k": None, "n": None if hidden == "n" else n, "rate": None, "ci95_low": None,
            "ci95_high": None, "hidden": hidden, "fewer_than": k_min}


def suppress_funnel(funnel: dict[str, Any], k_min: int) -> dict[str, Any]:
    """The retention funnel as shown: nothing when fewer than k_min started; otherwise a
    step is exact only when its count and its drop from the last exact step (the patients
    lost) both reach k_min. Exact counts then differ pairwise by k_min or more, so no
    small number follows from subtracting them (or the total, the first step)."""
    if funnel["started"] < k_min:
        return {**funnel, "started": None, "steps": [], "withheld": True}
    last = funnel["steps"][0]  # session 1: everyone who started
    steps: list[dict[str, Any]] = [last]
    for step in funnel["steps"][1:]:
        hidden = hidden_side(step["patients"], last["patients"], k_min)
        if hidden is None:
            steps.append(step)
            last = step
        else:
            steps.append({"session": step["session"], "patients": None, "share": None,
                          "hidden": "lost" if hidden == "rest" else "count",
                          "since": last["session"], "fewer_than": k_min})
    return {**funnel, "steps": steps}


def suppress_km(points: list[dict[str, Any]], k_min: int) -> list[dict[str, float | int]]:
    """The time-to-response points drawn: each joins at least k_min responses (since the
    last point drawn), and the curve stops at the first step that would leave fewer than
    k_min at risk: as for a rate, neither the responses nor the rest is a small number.
    Only the day and the cumulative share are kept."""
    shown: list[dict[str, float | int]] = []
    pending = 0
    for p in points:
        if p["at_risk"] - p["events"] < k_min:  # also: fewer than k_min at risk
            break
        pending += p["events"]
        if pending >= k_min:
            shown.append({"day": p["day"], "cumulative_response": p["cumulative_response"]})
            pending = 0
    return shown


def _suppress_row(row: dict[str, Any], k_min: int) -> dict[str, Any]:
    shown = {key: suppress_rate(v, k_min) if _is_rate(v) else v for key, v in row.items()}
    count = row.get("n_clinical_range")
    if isinstance(count, int) and 0 < count < k_min:
        shown["n_clinical_range"] = f"fewer than {k_min}"
    points = suppress_km(row["km"], k_min)
    shown["km"] = points
    shown["km_cut"] = len(points) < len(row["km"])
    shown["km_median_days_to_response"] = km_median(points)
    return shown


def km_note(rows: list[dict[str, Any]], k_min: int) -> str | None:
    """The sentence under (or instead of) the curve when suppression changed it."""
    drawn = [r for r in rows if r["condition"] == "all"]
    if not any(r.get("km_cut") for r in drawn):
        return None
    if not any(r["km"] for r in drawn):
        return (f"Withheld: fewer than {k_min} patients at risk or responded, so the curve "
                "would show single patients.")
    return (f"Each step joins at least {k_min} responses, and a curve stops before a step "
            f"that would leave fewer than {k_min} patients at risk, so that no step shows a "
            "single patient.")


def funnel_note(funnel: dict[str, Any] | None, k_min: int) -> str | None:
    if funnel is None:
        return None
    if funnel.get("withheld"):
        return f"Withheld: fewer than {k_min} patients started a course long enough ago."
    if all(s["patients"] is not None for s in funnel["steps"]):
        return None
    return (f'A step reads "<{k_min}" when fewer than {k_min} patients reached it, and '
            f'"<{k_min} lost since session N" when fewer than {k_min} were lost since the '
            "last step shown (no bar for either), so that no count can be subtracted down "
            "to a patient.")


def suppress_report(report: dict[str, Any], k_min: int) -> dict[str, Any]:
    """Every rate of every row, each row's count in clinical range and time-to-response
    curve, and the retention funnels; with the notes saying what was left out."""
    rows = [_suppress_row(row, k_min) for row in report["rows"]]
    retention = [suppress_funnel(f, k_min) for f in report.get("retention", [])]
    everyone = next((f for f in retention if f["condition"] == "all"), None)
    return {**report, "rows": rows, "retention": retention, "k_min": k_min,
            "km_note": km_note(rows, k_min), "funnel_note": funnel_note(everyone, k_min)}


def rate_words(rate: dict[str, Any]) -> str:
    """How a suppressed rate reads, on the page and in the PDF."""
    k_min = rate["fewer_than"]
    if rate["hidden"] == "n":
        return f"fewer than {k_min} assessed"
    if rate["hidden"] == "k":
        return f"fewer than {k_min} of {rate['n']}"
    return f"all but fewer than {k_min} of {rate['n']}"
