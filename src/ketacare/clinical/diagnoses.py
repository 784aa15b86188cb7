"""What a patient's diagnoses and treatment history say: an ICD-10-CM code's form and the
condition it belongs to, and whether depression is treatment-resistant (pure; the patient
actions and the chart use them)."""

from __future__ import annotations

import re
from typing import Literal

Condition = Literal["depression", "ptsd", "anxiety", "other"]

# ICD-10-CM prefixes (issue #3; clinical reference s.4): depression F32/F33, PTSD F43.1x,
# anxiety F41.x. Longest prefix first so F43.1 wins over any shorter F43 rule.
_CONDITION_PREFIXES: tuple[tuple[str, Condition], ...] = (
    ("F43.1", "ptsd"),
    ("F32", "depression"),
    ("F33", "depression"),
    ("F41", "anxiety"),
)

# Treatment-resistant depression: failure of >= 2 adequate antidepressant trials
# (clinical reference s.4).
TRD_MIN_ADEQUATE_TRIALS = 2


def normalise_icd10(code: str) -> str:
    """'f331' / 'F33.1 ' -> 'F33.1' (ICD-10-CM puts the dot after the third character)."""
    compact = code.strip().upper().replace(".", "")
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


def condition_for(icd10: str) -> Condition:
    code = normalise_icd10(icd10)
    for prefix, condition in _CONDITION_PREFIXES:
        if code.startswith(prefix):
            return condition
    return "other"


def treatment_resistant(adequate_antidepressant_trials: int) -> bool:
    return adequate_antidepressant_trials >= TRD_MIN_ADEQUATE_TRIALS


_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def valid_icd10(code: str) -> bool:
    return bool(_ICD10.match(normalise_icd10(code)))
