"""The shipped patient text (education pages of every route, the timeline of each shipped
protocol, the consent documents and the aftercare sheet) measured with textstat's
Flesch-Kincaid grade and, as a check on it, the SMOG grade (the measure health-literacy
guides prefer; textstat 0.7.3 counts syllables with pyphen, which undercounts a little, so
Flesch-Kincaid alone flatters the text). The figures are printed (run with -s). Target:
both <= 8."""

from __future__ import annotations

import pytest
import textstat

from ketacare.clinical.eligibility import ROUTES
from ketacare.clinical.protocols import DEFAULT_PROTOCOLS
from ketacare.consent import aftercare, education, shipped

TARGET_GRADE = 8.0


def _protocol(route: str):
    return next((p for p in DEFAULT_PROTOCOLS.values() if p.route == route), None)


def _texts() -> dict[str, str]:
    out = {f"education {r}": education.plain_text(r, _protocol(r)) for r in ROUTES}
    for kind, doc in shipped.DOCUMENTS.items():
        out[f"consent {kind}"] = " ".join(t for _, t in shipped.sections(doc.body))
    out["aftercare"] = " ".join(aftercare.RULES + aftercare.NORMAL_24H + aftercare.WARNING_SIGNS)
    return out


@pytest.mark.parametrize("name", sorted(_texts()))
def test_shipped_patient_text_reads_at_grade_8_or_below(name: str) -> None:
    text = _texts()[name]
    grade = textstat.flesch_kincaid_grade(text)
    smog = textstat.smog_index(text)
    print(f"{name}: Flesch-Kincaid grade {grade:.1f}, SMOG {smog:.1f}, Coleman-Liau "
          f"{textstat.coleman_liau_index(text):.1f}, Dale-Chall "
          f"{textstat.dale_chall_readability_score(text):.1f}, "
          f"{textstat.lexicon_count(text)} words")
    assert grade <= TARGET_GRADE, f"{name} reads at Flesch-Kincaid grade {grade:.1f}"
    assert smog <= TARGET_GRADE, f"{name} reads at SMOG grade {smog:.1f}"
