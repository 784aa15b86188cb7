"""Drug interactions that change what to watch for on a ketamine or esketamine day (issue
14 item 6).

Spravato label, section 7 (Drug Interactions; clinical reference s.8):
- 7.1 CNS depressants (benzodiazepines, opioids, alcohol; the REMS monitoring form also
  asks about non-benzodiazepine sedative hypnotics): concomitant use may increase
  sedation; closely monitor for sedation.
- 7.2 psychostimulants (e.g. amphetamines, methylphenidate, modafinil) and 7.3
  monoamine oxidase inhibitors: concomitant use may increase blood pressure; closely
  monitor blood pressure.
Racemic ketamine has the same sedative and pressor actions, so the same warnings are
given for every route, by analogy with the esketamine label [check].

A warning never blocks a dose: it says what to watch for and names the medications.
Input is the patient's current medication list as (category, name) pairs, categories as
in the medication list (`patients.models.MedicationCategory` values); other categories
are not interactions of this kind and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .routes import ESKETAMINE_ROUTE

Effect = Literal["sedation", "blood_pressure"]

# Medication category -> how the warning names it.
CNS_DEPRESSANTS: dict[str, str] = {
    "benzodiazepine": "benzodiazepine",
    "opioid": "opioid",
    "hypnotic": "non-benzodiazepine hypnotic",
}
PRESSORS: dict[str, str] = {
    "psychostimulant": "psychostimulant",
    "maoi": "MAOI",
}
ALCOHOL = "alcohol use"

_SOURCE: dict[Effect, str] = {
    "sedation": "Spravato label 7.1: CNS depressants increase sedation",
    "blood_pressure": "Spravato label 7.2-7.3: psychostimulants and MAOIs increase blood "
    "pressure",
}
_ADVICE: dict[Effect, str] = {
    "sedation": "more sedation is likely: monitor sedation closely (MOAA/S) and do not "
    "discharge until it has resolved",
    "blood_pressure": "a larger rise in blood pressure is likely: check BP before dosing, "
    "at about 40 min and as warranted",
}


@dataclass(frozen=True)
class Interaction:
    effect: Effect
    causes: tuple[str, ...]  # e.g. "benzodiazepine: lorazepam", "alcohol use"
    message: str
    source: str
    check: bool  # racemic ketamine: by analogy with the esketamine label


def interactions(
    medications: Iterable[tuple[str, str]], *, alcohol_use: bool = False, route: str
) -> tuple[Interaction, ...]:
    """The sedation warning, then the blood-pressure warning, each only when a current
    medication (or alcohol use, for sedation) calls for it."""
    sedating: list[str] = []
    pressor: list[str] = []
    for category, name in medications:
        if category in CNS_DEPRESSANTS:
            sedating.append(f"{CNS_DEPRESSANTS[category]}: {name}")
        elif category in PRESSORS:
            pressor.append(f"{PRESSORS[category]}: {name}")
    if alcohol_use:
        sedating.append(ALCOHOL)
    analogy = route != ESKETAMINE_ROUTE
    found: list[Interaction] = []
    for effect, causes in (("sedation", sedating), ("blood_pressure", pressor)):
        if not causes:
            continue
        kind: Effect = "sedation" if effect == "sedation" else "blood_pressure"
        title = "CNS depressant" if kind == "sedation" else "Blood-pressure raising drug"
        source = _SOURCE[kind] + ("; racemic ketamine by analogy [check]" if analogy else "")
        found.append(
            Interaction(
                effect=kind,
                causes=tuple(causes),
                message=f"{title} ({'; '.join(causes)}): {_ADVICE[kind]}.",
                source=source,
                check=analogy,
            )
        )
    return tuple(found)
