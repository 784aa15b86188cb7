"""The consent documents KetaCare ships. A clinic gets a copy (its version 1) the first time
it needs one and may publish its own later versions; the shipped text changes only with a
new `version` here, so a clinic's copy always names the shipped version it came from.

Plain words, aimed at about an 8th-grade reading level (tests/consent/test_readability.py
measures it). Facts follow the clinical reference (/work/shared/clinical-reference.md):
s.3 protocols, s.4 safety defaults, s.6 benchmarks, s.7 background, s.8 REMS. A clinic's
lawyer reviews its copy: this text is a starting point, not legal advice."""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.eligibility import ESKETAMINE, RACEMIC


@dataclass(frozen=True)
class ShippedDocument:
    kind: str
    version: int
    title: str
    routes: frozenset[str]
    body: str
    requires_witness: bool = True


RACEMIC_KIND = "ketamine_offlabel"
ESKETAMINE_KIND = "esketamine_rems"

_RACEMIC_BODY = """\
What this form is for
You are asking to be treated with ketamine for your mood. Please read this form. Ask us \
about anything that is not clear. You do not have to sign it. You can change your mind at \
any time.

Ketamine is used "off-label"
Ketamine is a medicine the FDA approved in 1970 to put people to sleep for surgery. Using \
it for depression, PTSD or anxiety is "off-label". That means the FDA has not approved it \
for these uses. Doctors may still use it this way. Studies have found that it can help \
some people within hours or days.

What the studies show
Ketamine does not work for everyone. It is not a cure. In large clinic reports, about half \
of patients felt much better after a series of treatments. About 1 in 4 to 1 in 3 had few \
or no symptoms left (McInnes 2022; Oliver 2022). The effect of one treatment often fades \
over days to weeks. Many people need more treatments to keep the benefit.

How a treatment goes
A nurse checks your blood pressure before the dose. We give the dose by the route your \
prescriber chose. We check your blood pressure, heart rate and oxygen during the session. \
You stay with us until you are ready to leave. An adult must take you home.

Side effects and risks
Most side effects are mild and go away within a few hours. You may feel detached from your \
body or your surroundings. We call this dissociation. You may feel dizzy, sleepy or sick to \
your stomach. Your blood pressure may go up for a few hours. It is highest about 40 minutes \
after the dose. Rare risks include fainting, a very high blood pressure, or breathing \
problems. Ketamine can be misused. Regular heavy use can harm the bladder. We watch for \
these problems. Tell us about every medicine you take. Tell us if you might be pregnant.

What you agree to
I will not drive, ride a bike or use machines until the next day. I will have an adult take \
me home. I will tell the clinic about my medicines, drugs and alcohol. I will call the clinic \
if I have problems after a treatment. If I think about hurting myself, I will call or text \
988 or go to the nearest emergency room.

Your choice
I have read this form, or it was read to me. I could ask questions and they were answered. I \
know other treatments exist. I agree to be treated with ketamine. I know I can stop at any \
time. Stopping will not change the rest of my care."""

_ESKETAMINE_BODY = """\
What this form is for
You are asking to be treated with esketamine nasal spray (Spravato). Please read this form. \
Ask us about anything that is not clear. You do not have to sign it. You can change your \
mind at any time.

About esketamine
The FDA approved esketamine nasal spray in 2019 for depression that has not gotten better \
with other medicines. You spray it into your nose here at the clinic, under our care. You \
never take it home. In a main study, about 7 in 10 people who used it with a new \
antidepressant felt much better after four weeks. About 5 in 10 who used a placebo spray with \
a new antidepressant also felt better (Popova 2019). It does not work for everyone. It is not \
a cure.

The Spravato REMS program
The FDA requires a safety program for esketamine. It is called the Spravato REMS. You must be \
enrolled in it before your first treatment. After each treatment, the clinic sends a \
monitoring form to the program. By signing, you agree to be enrolled. You agree that we may \
share the facts of each treatment with the program. This includes your name, birth date, \
dose and any side effects.

How a treatment goes
Do not eat for 2 hours before a treatment. Do not drink for 30 minutes before. We check your \
blood pressure before the dose. You use one spray device every 5 minutes. We check your \
blood pressure again about 40 minutes later. You stay with us for at least 2 hours. You stay \
until you are ready to leave.

Side effects and risks
You may feel detached from your body or your surroundings. We call this dissociation. You \
may feel dizzy, sleepy or sick to your stomach. Your blood pressure may go up for a few \
hours. Rare risks include fainting or breathing problems. Medicines that make you sleepy, \
like benzodiazepines, opioids and alcohol, can make you more sleepy. Stimulants and MAOIs can \
raise your blood pressure. Tell us about every medicine you take. Tell us if you might be \
pregnant.

What you agree to
I will not drive or use machines until the next day, after a night of sleep. I will have \
someone take me home. I will call the clinic if I have problems after a treatment. If I think \
about hurting myself, I will call or text 988 or go to the nearest emergency room.

Your choice
I have read this form, or it was read to me. I could ask questions and they were answered. I \
know other treatments exist. I agree to be treated with esketamine. I agree to be enrolled in \
the Spravato REMS. I know I can stop at any time. Stopping will not change the rest of my \
care."""

DOCUMENTS: dict[str, ShippedDocument] = {
    RACEMIC_KIND: ShippedDocument(
        kind=RACEMIC_KIND, version=1, routes=RACEMIC, body=_RACEMIC_BODY,
        title="Consent to ketamine treatment (off-label use)"),
    ESKETAMINE_KIND: ShippedDocument(
        kind=ESKETAMINE_KIND, version=1, routes=ESKETAMINE, body=_ESKETAMINE_BODY,
        title="Consent to esketamine nasal spray and Spravato REMS enrollment"),
}


def kind_for_route(route: str) -> str:
    return ESKETAMINE_KIND if route in ESKETAMINE else RACEMIC_KIND


def sections(body: str) -> list[tuple[str, str]]:
    """(heading, paragraph) pairs: a document is blocks separated by a blank line, each a
    heading line followed by its text."""
    out = []
    for block in body.strip().split("\n\n"):
        heading, _, text = block.partition("\n")
        out.append((heading.strip(), " ".join(text.split())))
    return out
