"""The decision point at the end of esketamine induction (issue 14 item 8).

Spravato US label (2.2) and EU SmPC (4.2): evaluate the evidence of therapeutic benefit
at the end of the induction phase to determine the need for continued treatment. For a
protocol with `review_after_induction`, the schedule does not roll into maintenance on
its own: the first maintenance session cannot start until a prescriber has recorded the
decision, and a decision to stop ends the course. The decision can be recorded once no
induction session is still planned or in progress [clinic default: at the end, as the
label words it].

Sessions are told apart by their label, which starts with the phase title
(`schedules.PlannedSession.label`, e.g. "Maintenance 1 of 4, week 5"); a protocol with
a review has distinct induction and maintenance titles (checked by `Protocol`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .protocols import Protocol

Decision = Literal["continue", "stop"]
DECISIONS: dict[str, str] = {
    "continue": "Benefit seen: continue into maintenance",
    "stop": "No sufficient benefit: stop after induction",
}
SOURCE = "Spravato label 2.2 / EU SmPC 4.2: evaluate benefit at the end of induction"


def _titled(label: str, titles: set[str]) -> bool:
    return any(label == t or label.startswith((f"{t} ", f"{t},")) for t in titles)


def is_maintenance(protocol: Protocol, label: str) -> bool:
    titles = {p.title for p in protocol.schedule.phases if p.name == "maintenance"}
    return _titled(label, titles)


def is_induction(protocol: Protocol, label: str) -> bool:
    titles = {p.title for p in protocol.schedule.phases if p.name == "induction"}
    return _titled(label, titles)


def applies(protocol: Protocol) -> bool:
    return protocol.review_after_induction


def ready(protocol: Protocol, sessions: Iterable[tuple[str, bool]]) -> bool:
    """Whether the decision can be recorded: `sessions` are (label, still open) pairs,
    open meaning planned or in progress; ready when no induction session is open."""
    return applies(protocol) and not any(
        is_induction(protocol, label) and still_open for label, still_open in sessions
    )


def blocked(protocol: Protocol, label: str, decision: str) -> str | None:
    """Why the session with this label cannot start, or None. `decision` is the recorded
    decision ("" when none)."""
    if not applies(protocol) or not is_maintenance(protocol, label):
        return None
    if decision == "continue":
        return None
    if decision == "stop":
        return "The end-of-induction review decided to stop: no maintenance sessions."
    return (
        "End of induction: a prescriber must record the benefit review (continue or stop) "
        "on the course page before the first maintenance session."
    )
