"""Treatment protocols as data (clinical reference s.3 and s.4; issue 4, item 1).

A `Protocol` (`model`) says, for one drug and route, how the dose is chosen, how sessions
are spaced, how long a patient is watched and the thresholds the safety rules use;
`dosing`, `schedules` and `safety` read protocols and hold no numbers of their own. The
protocols KetaCare ships are data, one module each in `shipped/` with the sources of their
numbers; clinics copy and edit them, so a protocol round-trips through a dict
(`deserialize`). This module is the registry of the shipped ones.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from .errors import ProtocolError, fail
from .model import (
    DRUGS,
    ESKETAMINE_DEVICE_INTERVAL_MIN,
    ESKETAMINE_DEVICE_MG,
    ESKETAMINE_OBSERVATION_MIN,
    RACEMIC_CONCENTRATIONS_MG_ML,
    AlertThresholds,
    DoseBasis,
    DoseRule,
    Drug,
    HoldThresholds,
    ObservationFrom,
    Phase,
    PhaseName,
    Protocol,
    ScheduleRule,
)
from .shipped import (
    esketamine,
    esketamine_eu,
    esketamine_si,
    im,
    iv_induction,
    iv_maintenance,
    oral,
    sc,
    sublingual,
)

__all__ = [
    "DEFAULT_LABEL_VARIANT", "DEFAULT_PROTOCOLS", "DRUGS", "ESKETAMINE_DEVICE_INTERVAL_MIN",
    "ESKETAMINE_DEVICE_MG", "ESKETAMINE_OBSERVATION_MIN", "LABEL_PROTOCOLS", "LABEL_VARIANTS",
    "RACEMIC_CONCENTRATIONS_MG_ML", "AlertThresholds", "DoseBasis", "DoseRule", "Drug",
    "HoldThresholds", "ObservationFrom", "Phase", "PhaseName", "Protocol", "ProtocolError",
    "ScheduleRule", "for_route", "get", "shipped_active", "stored",
]

# In the order clinics are offered them (and a new clinic's copies are made).
DEFAULT_PROTOCOLS: dict[str, Protocol] = {
    m.PROTOCOL.id: m.PROTOCOL
    for m in (iv_induction, iv_maintenance, esketamine, esketamine_si, im, sc, oral,
              sublingual, esketamine_eu)
}

# Which label a shipped esketamine protocol follows; a clinic uses one (setting
# `esketamine_label`, [clinic default] "us"): the other's shipped copy is inactive.
LABEL_VARIANTS: dict[str, str] = {"us": "US prescribing information", "eu": "EU SmPC"}
DEFAULT_LABEL_VARIANT = "us"
LABEL_PROTOCOLS: dict[str, str] = {"esketamine": "us", "esketamine-eu": "eu"}


def shipped_active(protocol_id: str, variant: str) -> bool:
    """Whether a shipped protocol is offered in a clinic using label `variant`."""
    if variant not in LABEL_VARIANTS:
        fail("esketamine_label", f"{variant!r} is not allowed; allowed: "
             f"{', '.join(LABEL_VARIANTS)}")
    return LABEL_PROTOCOLS.get(protocol_id, variant) == variant


def get(protocol_id: str) -> Protocol:
    """A shipped protocol by id."""
    try:
        return DEFAULT_PROTOCOLS[protocol_id]
    except (KeyError, TypeError):
        raise ProtocolError(
            "protocol",
            f"{protocol_id!r} is not a protocol; allowed: {', '.join(DEFAULT_PROTOCOLS)}",
        ) from None


def for_route(route: str) -> tuple[Protocol, ...]:
    return tuple(p for p in DEFAULT_PROTOCOLS.values() if p.route == route)


def stored(data: Mapping[str, Any]) -> Protocol:
    """A protocol from its stored dict (a course's copy, a clinic's edit), built and
    validated once per distinct content: a session-day page read its course's protocol
    four times, about 1 ms each (issue 17). Protocols are frozen, so one instance serves
    every reader; invalid data raises `ProtocolError` on every call."""
    return _built(json.dumps(data, sort_keys=True, separators=(",", ":")))


@functools.lru_cache(maxsize=256)
def _built(text: str) -> Protocol:
    return Protocol.from_dict(json.loads(text))
