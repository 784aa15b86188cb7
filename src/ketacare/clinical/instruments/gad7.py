"""GAD-7 (Spitzer, Kroenke, Williams & Loewe 2006, Arch Intern Med 166:1092).

Same Pfizer terms as the PHQ-9 (no permission needed to reproduce, translate, display or
distribute), so the full item text is bundled. Bands minimal 0-4, mild 5-9, moderate
10-14, severe 15-21 (Spitzer 2006). Panel, total and item LOINC codes from the clinical
reference, section 1; the answer codes are the PHQ family's frequency scale
(LA6568-5 .. LA6571-9), shared with the PHQ-9.
"""

from __future__ import annotations

from .base import Band, Instrument, Item, Remission, sum_score
from .phq9 import FREQUENCY

_ITEMS = (
    ("Nervousness", "Feeling nervous, anxious, or on edge", "69725-0"),
    ("Uncontrollable worry", "Not being able to stop or control worrying", "68509-9"),
    ("Excessive worry", "Worrying too much about different things", "69733-4"),
    ("Trouble relaxing", "Trouble relaxing", "69734-2"),
    ("Restlessness", "Being so restless that it is hard to sit still", "69735-9"),
    ("Irritability", "Becoming easily annoyed or irritable", "69689-8"),
    ("Fear", "Feeling afraid, as if something awful might happen", "69736-7"),
)

INSTRUMENT = Instrument(
    id="gad7",
    name="Generalized Anxiety Disorder-7",
    short_name="GAD-7",
    rater="self",
    items=tuple(
        Item(n, label, FREQUENCY, text=text, loinc=loinc)
        for n, (label, text, loinc) in enumerate(_ITEMS, start=1)
    ),
    recall_period="Over the last 2 weeks",
    instructions="Over the last 2 weeks, how often have you been bothered by the following "
    "problems?",
    license="Pfizer: free to reproduce, translate, display and distribute; full text bundled.",
    full_text_bundled=True,
    source="Spitzer RL, Kroenke K, Williams JBW, Loewe B. Arch Intern Med "
    "2006;166:1092-1097.",
    scorer=sum_score,
    bands=(
        Band("minimal", 0, 4, "ok"),
        Band("mild", 5, 9, "low"),
        Band("moderate", 10, 14, "mid"),
        Band("severe", 15, 21, "high"),
    ),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    remission=Remission(max_total=4, source="GAD-7 < 5 (clinical reference s.2)"),
    clinical_range_min=10,  # clinical reference s.2
)
