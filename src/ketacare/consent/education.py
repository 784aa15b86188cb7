"""What patients read before treatment, per route, at about an 8th-grade reading level, each
fact with its source, and the session timeline built from the clinic's protocol.

Pure Python (no Django): the text is data, versioned with EDUCATION_VERSION; a change to
the shipped text bumps it, and the page and PDF print it. Sources are the clinical
reference's sections (/work/shared/clinical-reference.md s.3 protocols, s.4 safety, s.6
benchmarks, s.7 background)."""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.protocols import Protocol
from ketacare.clinical.routes import ESKETAMINE, ESKETAMINE_ROUTE, ROUTES

EDUCATION_VERSION = "2026.12-1"
CRISIS_LINE = "988"  # US Suicide & Crisis Lifeline: call or text 988


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    minute: int | None  # from the start of dosing; None: before arrival or after leaving
    text: str


HOW_GIVEN: dict[str, str] = {
    "iv": "A nurse puts a small needle in a vein in your arm. The medicine drips in slowly "
          "through a pump.",
    "im": "A nurse gives you a shot in the muscle of your upper arm.",
    "sc": "A nurse gives you a small shot under the skin of your belly or arm.",
    "oral": "You swallow the medicine, as a liquid or a tablet, here at the clinic.",
    "sublingual": "You hold a tablet or lozenge under your tongue until it melts. Try not to "
                  "swallow for a while.",
    ESKETAMINE_ROUTE: "You spray the medicine into your own nose while we watch. Each "
                        "device holds two sprays. You wait 5 minutes between devices.",
}

_WHAT_RACEMIC = Section(
    "What ketamine is",
    ("Ketamine was first made in 1962. Since 1970 doctors have used it to put people to "
     "sleep for surgery. At much lower doses it can ease depression. Using it this way is "
     "\"off-label\". That means the FDA has not approved it for mood. Many doctors still "
     "use it this way.",),
    ("Clinical reference s.7 (history); s.3 (doses used for mood)",))

_WHAT_ESKETAMINE = Section(
    "What esketamine is",
    ("Esketamine is one half of the ketamine molecule. As a nasal spray (Spravato) the FDA "
     "approved it in 2019. It is for depression that did not get better with other "
     "medicines. You only use it at the clinic, never at home.",),
    ("Clinical reference s.7 (approval 2019); s.3 (esketamine protocol)",))

_HOW_IT_WORKS = Section(
    "How it may work",
    ("Brain cells send messages with a chemical called glutamate. Ketamine blocks one of "
     "the doors glutamate uses. We call that door the NMDA receptor. In studies in rats "
     "and mice, this led to new links between brain cells within hours. Scientists think "
     "this may help mood. We do not know for sure how it works in people.",),
    ("Clinical reference s.7: Li et al. 2010 (Science); Moda-Sava et al. 2019 (Science)",))

_EVIDENCE_RACEMIC = Section(
    "What the studies show",
    ("Ketamine does not help everyone, and it is not a cure. In one large clinic report, "
     "about half of patients felt much better two to four weeks after starting. About 3 in "
     "10 had few symptoms left. The benefit often fades after some weeks, so many people "
     "need more treatments. For PTSD the results are mixed. One study found a clear "
     "benefit, and another found none.",),
    ("Clinical reference s.6: McInnes 2022 (537 patients, response 53.6%, remission "
     "28.9%); Oliver 2022; Feder 2021; Abdallah 2022",))

_EVIDENCE_ESKETAMINE = Section(
    "What the studies show",
    ("Esketamine does not help everyone, and it is not a cure. In a main study, about 7 in "
     "10 people who used it with a new antidepressant felt much better after four weeks. "
     "About 5 in 10 who used a fake spray with a new antidepressant also felt better. So "
     "part of the gain comes from the new pill and from care itself.",),
    ("Clinical reference s.6: Popova 2019 (TRANSFORM-2, response 69.3% vs 52.0%)",))

_FEEL = Section(
    "What it may feel like",
    ("Many people feel strange or far away from their body for a while. Sounds and colors "
     "may seem different. Time may seem to move slowly. We call this dissociation. It is "
     "common and it passes, most often within an hour or two. You may also feel dizzy, "
     "sleepy or sick to your stomach. Tell the nurse how you feel. We are with you the "
     "whole time.",),
    ("Clinical reference s.4: dissociation 61-75% and sedation 48-61% with esketamine",))

_RISKS = Section(
    "Risks",
    ("Your blood pressure goes up for a few hours. It is highest about 40 minutes after the "
     "dose, so we check it then. Rare risks are fainting or slow breathing. Ketamine can be "
     "misused. Regular heavy use can harm the bladder. Pills that make you sleepy, and "
     "alcohol, can add to the sleepiness. Tell us about every medicine you take.",),
    ("Clinical reference s.4 (BP peak at ~40 min, adverse events); s.8 (interactions)",))

_CALL = Section(
    "When to call",
    ("Call the clinic if you feel very unwell after you leave. Call if you have a very bad "
     "headache, chest pain or pain when you pee. If you think about hurting yourself, call "
     "or text 988 now, or go to the nearest emergency room. For a medical emergency, call "
     "911.",),
    ("988 Suicide & Crisis Lifeline",))


def prepare(protocol: Protocol | None, route: str) -> Section:
    paragraphs = []
    if protocol is not None and protocol.npo_food_min:
        paragraphs.append(
            f"Do not eat for {_duration(protocol.npo_food_min)} before your visit."
            + (f" Do not drink for {_duration(protocol.npo_liquids_min)} before."
               if protocol.npo_liquids_min else ""))
    else:
        paragraphs.append("Eat a light meal a few hours before, not just before you come.")
    paragraphs.append("Bring a list of all the medicines you take. Do not drink alcohol on "
                      "the day of your visit.")
    paragraphs.append("Plan for someone to take you home. Do not drive, ride a bike or use "
                      "machines until the next day, after a night of sleep.")
    source = ("Clinical reference s.3 (esketamine: no food 2 h, liquids 30 min); s.4 (no "
              "driving until the next day; escort home)")
    return Section("How to get ready", tuple(paragraphs), (source,))


def _duration(minutes: int | None) -> str:
    if not minutes:
        return ""
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def timeline(protocol: Protocol) -> list[Step]:
    """A session minute by minute, from the protocol's own numbers."""
    steps = [Step(None, "You arrive. A nurse checks your blood pressure, heart rate and "
                        "oxygen before the dose.")]
    if protocol.infusion_min:
        dosing_end = protocol.infusion_min
        steps.append(Step(0, f"The dose starts. It runs slowly for {protocol.infusion_min} "
                             "minutes."))
    elif protocol.dose.device_interval_min and protocol.route in ESKETAMINE:
        dosing_end = 2 * protocol.dose.device_interval_min
        steps.append(Step(0, "You use the first spray device. You use the next one every "
                             f"{protocol.dose.device_interval_min} minutes (two or three in "
                             "all)."))
    else:
        dosing_end = 0
        steps.append(Step(0, "You take the dose."))
    steps.append(Step(None, f"The nurse checks your blood pressure and heart rate about every "
                            f"{protocol.vitals_every_min} minutes."))
    for minute in protocol.vitals_at_min:
        steps.append(Step(minute, "Blood pressure check. This is when it is often highest."))
    start = {"end_of_infusion": dosing_end, "first_device": 0, "dose": 0}[
        protocol.observation_from]
    end = start + protocol.observation_min
    steps.append(Step(end, f"You have rested with us at least {_duration(protocol.observation_min)}"
                           " and feel clear. If your checks are fine, you may go home with "
                           "your escort."))
    steps.append(Step(None, "No driving until the next day. Rest at home for the rest of the "
                            "day."))
    return steps


def sections(route: str, protocol: Protocol | None) -> list[Section]:
    if route not in ROUTES:
        raise KeyError(route)
    esk = route in ESKETAMINE
    how = Section("How you get it", (HOW_GIVEN[route],),
                  ("Clinical reference s.3 (routes and protocols)",))
    return [
        _WHAT_ESKETAMINE if esk else _WHAT_RACEMIC,
        _HOW_IT_WORKS,
        _EVIDENCE_ESKETAMINE if esk else _EVIDENCE_RACEMIC,
        how,
        prepare(protocol, route),
        _FEEL,
        _RISKS,
        _CALL,
    ]


def plain_text(route: str, protocol: Protocol | None) -> str:
    """The running text a patient reads on the page, for the readability measure (headings
    left out: as one-line "sentences" they would flatter the grade)."""
    parts = [p for s in sections(route, protocol) for p in s.paragraphs]
    if protocol is not None:
        parts += [s.text for s in timeline(protocol)]
    return " ".join(parts)
