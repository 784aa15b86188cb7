"""PHQ-9 (Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606).

Pfizer: no permission required to reproduce, translate, display or distribute, so the full
item text is bundled. LOINC codes from the clinical reference, section 1.
"""

from __future__ import annotations

from dataclasses import replace

from .base import Band, Flag, Instrument, Item, Option, Remission, ScoreResult, sum_score

# LOINC answer codes LA6568-5 .. LA6571-9 for 0-3.
FREQUENCY = (
    Option(0, "Not at all", "LA6568-5"),
    Option(1, "Several days", "LA6569-3"),
    Option(2, "More than half the days", "LA6570-1"),
    Option(3, "Nearly every day", "LA6571-9"),
)
DIFFICULTY = (
    Option(0, "Not difficult at all", "LA6572-7"),
    Option(1, "Somewhat difficult", "LA6573-5"),
    Option(2, "Very difficult", "LA6574-3"),
    Option(3, "Extremely difficult", "LA6575-0"),
)

_ITEMS = (
    ("Anhedonia", "Little interest or pleasure in doing things", "44250-9"),
    ("Depressed mood", "Feeling down, depressed, or hopeless", "44255-8"),
    ("Sleep", "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    ("Energy", "Feeling tired or having little energy", "44254-1"),
    ("Appetite", "Poor appetite or overeating", "44251-7"),
    (
        "Self-worth",
        "Feeling bad about yourself - or that you are a failure or have let yourself or "
        "your family down",
        "44258-2",
    ),
    (
        "Concentration",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        "Psychomotor",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite - "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "44253-3",
    ),
    (
        "Self-harm thoughts",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
        "44260-8",
    ),
)

SUICIDAL_IDEATION = Flag(
    "suicidal_ideation",
    "Item 9 is above 0: assess suicide risk the same day. Item 9 also catches thoughts of "
    "self-harm without suicidal intent, so it asks for an assessment, not a diagnosis.",
)


def score(instrument: Instrument, values: tuple[int, ...]) -> ScoreResult:
    result = sum_score(instrument, values)  # item 10 is not scored, so never summed
    flags = (SUICIDAL_IDEATION,) if values[8] > 0 else ()
    extras = {"difficulty": values[9]} if len(values) == 10 else {}
    return replace(result, flags=flags, extras=extras)


INSTRUMENT = Instrument(
    id="phq9",
    name="Patient Health Questionnaire-9",
    short_name="PHQ-9",
    rater="self",
    items=tuple(
        Item(n, label, FREQUENCY, text=text, loinc=loinc)
        for n, (label, text, loinc) in enumerate(_ITEMS, start=1)
    )
    + (
        Item(
            10,
            "Difficulty",
            DIFFICULTY,
            text="If you checked off any problems, how difficult have these problems made it "
            "for you to do your work, take care of things at home, or get along with other "
            "people?",
            loinc="69722-7",
            scored=False,
            optional=True,
        ),
    ),
    recall_period="Over the last 2 weeks",
    instructions="Over the last 2 weeks, how often have you been bothered by any of the "
    "following problems?",
    license="Pfizer: free to reproduce, translate, display and distribute; full text bundled.",
    full_text_bundled=True,
    source="Kroenke K, Spitzer RL, Williams JBW. J Gen Intern Med 2001;16:606-613.",
    scorer=score,
    bands=(
        Band("minimal", 0, 4, "ok"),
        Band("mild", 5, 9, "low"),
        Band("moderate", 10, 14, "mid"),
        Band("moderately_severe", 15, 19, "high"),
        Band("severe", 20, 27, "critical"),
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    remission=Remission(max_total=4, source="PHQ-9 < 5 (clinical reference s.2)"),
    clinical_range_min=10,
)
