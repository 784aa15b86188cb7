"""The progress letter a prescriber sends to the patient's referring physician (issue #7
item 7): the course, every dose, each questionnaire's baseline, latest score and outcome
with its chart, adverse events, the prescriber's comment and signature.

`gather_letter` reads everything the letter prints into a `Letter` (times already in the
clinic's zone); `letter_pdf` lays it out with fpdf2's core fonts, like the other printed
documents. The score charts are the Altair definitions the web pages draw, rendered to PNG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from django.contrib.auth.models import User
from fpdf import FPDF

from ketacare.clinical import baseline, protocols, routes
from ketacare.clinical.instruments import Instrument, InstrumentInputError
from ketacare.clinical.outcomes import Outcome, OutcomeRules, classify
from ketacare.ledger.models import plain
from ketacare.patients.models import Patient
from ketacare.pdf import HEAD_FILL, image_height, latin1, person, table
from ketacare.treatment.models import AdverseEvent, Course, CourseStatus, Dose, Severity

from . import actions as selfreport
from .config import for_clinic
from .models import Response
from .trajectories import Trajectory, patient_trajectories

PAPER_SETTING = "letter_paper"  # clinic setting: "letter" (default) or "a4"
CATEGORY_LABELS = {"remission": "Remission", "response": "Response",
                   "partial_response": "Partial response", "no_response": "No response",
                   "worsened": "Worsened"}
BASELINE_RULE = baseline.RULE_TEXT + " The course is the patient's latest."
CONFIDENTIAL = ("CONFIDENTIAL: personal health information, for the addressee only. If you "
                "received this letter in error, tell the sender and destroy it.")


@dataclass(frozen=True)
class CourseLine:
    protocol: str
    route: str
    indication: str
    start: date
    status: str
    given: int  # sessions with a dose recorded
    planned: int  # sessions not cancelled


@dataclass(frozen=True)
class DoseLine:
    given_at: datetime  # in the clinic's zone
    session: int
    drug: str
    route: str
    dose_mg: Decimal
    mg_per_kg: Decimal | None


@dataclass(frozen=True)
class OutcomeLine:
    instrument: Instrument
    baseline: int | None  # None: no valid baseline (clinical.baseline)
    baseline_at: datetime | None  # in the clinic's zone
    latest: int
    latest_at: datetime
    outcome: Outcome | None  # None without a baseline or while it is the only score
    rule: str
    trajectory: Trajectory

    @property
    def category(self) -> str:
        if self.baseline is None:
            return baseline.NO_VALID_BASELINE.capitalize()
        return CATEGORY_LABELS[self.outcome.category] if self.outcome else "Baseline only"

    @property
    def baseline_cell(self) -> str:
        if self.baseline is None or self.baseline_at is None:
            return "none valid"
        return f"{self.baseline} ({self.baseline_at:%Y-%m-%d})"


@dataclass(frozen=True)
class EventLine:
    recorded_at: datetime  # in the clinic's zone
    session: int
    term: str
    severity: str
    serious: bool
    action: str
    outcome: str


@dataclass(frozen=True)
class Letter:
    clinic: str
    clinic_address: str
    time_zone: str
    paper: str
    today: date
    patient_name: str
    date_of_birth: date
    mrn: str
    recipient: str
    practice: str
    comment: str
    author: str
    courses: list[CourseLine]
    doses: list[DoseLine]
    outcomes: list[OutcomeLine]
    events: list[EventLine]

    @property
    def summary(self) -> str:
        """The paragraph under the greeting: where treatment stands, in a few sentences."""
        name = self.patient_name
        parts = []
        if not self.courses:
            parts.append(f"{name} has no ketamine treatment course recorded at "
                         f"{self.clinic}.")
        else:
            c = self.courses[0]
            began = "is due to begin" if c.start > self.today else "began"
            parts.append(
                f"{name} {began} treatment on {c.start:%Y-%m-%d} with {c.route}, protocol "
                f"{c.protocol}, for {c.indication}; {c.given} of {c.planned} planned "
                f"sessions have been given and the course is {c.status.lower()}.")
            if len(self.courses) > 1:
                parts.append(f"{len(self.courses)} courses are on record in all.")
        if self.doses:
            d = self.doses[-1]
            parts.append(f"The most recent dose was {plain(d.dose_mg)} mg {d.drug.lower()} "
                         f"({d.route}) on {d.given_at:%Y-%m-%d}.")
        if not self.outcomes:
            parts.append("No questionnaire scores have been recorded yet, so the response to "
                         "treatment cannot be measured from them.")
        for o in self.outcomes:
            short = o.instrument.short_name
            if o.baseline is None:
                parts.append(f"{short}: {baseline.NO_VALID_BASELINE} (no score in the 30 days "
                             f"up to the first dose), latest {o.latest} on "
                             f"{o.latest_at:%Y-%m-%d}; the change is not classified.")
            elif o.outcome is None:
                parts.append(f"{short}: one score so far ({o.baseline} on "
                             f"{o.baseline_at:%Y-%m-%d}), nothing yet to compare it with.")
            else:
                parts.append(f"{short}: {o.baseline} at baseline ({o.baseline_at:%Y-%m-%d}) "
                             f"to {o.latest} on {o.latest_at:%Y-%m-%d} "
                             f"({percent(o.outcome)}): {o.category.lower()}.")
        serious = sum(e.serious for e in self.events)
        if not self.events:
            parts.append("No adverse events have been recorded.")
        else:
            parts.append(f"{len(self.events)} adverse event{'s' if len(self.events) > 1 else ''}"
                         f" recorded, {serious or 'none'} serious.")
        return " ".join(parts)


def percent(outcome: Outcome) -> str:
    if outcome.percent_change is None:
        return "% change not defined: baseline at the scale's floor"
    return f"{outcome.percent_change:+.1f}%"


def outcome_rule(instrument: Instrument, rules: OutcomeRules | None = None) -> str:
    """The classification `classify` applies, in words, from the same numbers."""
    rules = rules or OutcomeRules()
    text = (f"Response: a fall of >= {rules.response_pct:g}% from baseline; partial response: "
            f"{rules.partial_response_pct:g}% to under {rules.response_pct:g}%; worsened: a "
            f"rise of >= {rules.worsened_pct:g}%")
    remission = instrument.remission
    if remission is not None:
        ceiling = (rules.remission_max_total if rules.remission_max_total is not None
                   else remission.max_total)
        text += f"; remission: {instrument.short_name} <= {ceiling}"
        if remission.min_drop is not None:
            text += f" with a fall of >= {remission.min_drop} points"
    return text + "."


def _outcomes(patient: Patient, zone: tzinfo) -> list[OutcomeLine]:
    course = selfreport.latest_course(patient)
    rules = for_clinic(patient.clinic).outcome_rules
    out = []
    for trajectory in patient_trajectories(patient):
        instrument = trajectory.instrument
        base = selfreport.baseline_response(patient, instrument.id, course)
        latest = (Response.objects.filter(patient=patient, instrument=instrument.id,
                                          total__isnull=False)
                  .order_by("-submitted_at", "-id").first())
        if latest is None or latest.total is None:
            continue
        if base is None or base.total is None:
            out.append(OutcomeLine(
                instrument=instrument, baseline=None, baseline_at=None, latest=latest.total,
                latest_at=latest.submitted_at.astimezone(zone), outcome=None,
                rule=outcome_rule(instrument, rules), trajectory=trajectory))
            continue
        outcome = None
        if latest.pk != base.pk and latest.submitted_at > base.submitted_at:
            try:
                outcome = classify(instrument, base.total, latest.total, rules)
            except InstrumentInputError:
                outcome = None
        out.append(OutcomeLine(
            instrument=instrument, baseline=base.total,
            baseline_at=base.submitted_at.astimezone(zone), latest=latest.total,
            latest_at=latest.submitted_at.astimezone(zone), outcome=outcome,
            rule=outcome_rule(instrument, rules), trajectory=trajectory))
    return out


def gather_letter(patient: Patient, *, recipient: str, practice: str, comment: str,
                  author: User, today: date) -> Letter:
    """Everything the letter prints, read once; a patient with no course, no doses or no
    scores gets a letter that says so."""
    clinic = patient.clinic
    zone = clinic.zone
    courses = []
    for course in Course.objects.filter(patient=patient).prefetch_related("sessions__dose"):
        sessions = list(course.sessions.all())
        data = course.protocol_data
        route = str(data.get("route", ""))
        courses.append(CourseLine(
            protocol=str(data.get("name", "Course")), route=routes.ROUTES.get(route, route),
            indication=course.indication, start=course.start_date,
            status=CourseStatus(course.status).label,
            given=sum(1 for s in sessions if hasattr(s, "dose")),
            planned=sum(1 for s in sessions if s.status != "cancelled")))
    doses = [
        DoseLine(given_at=d.started_at.astimezone(zone), session=d.session.number,
                 drug=protocols.DRUGS.get(d.drug, d.drug),
                 route=routes.SHORT_LABELS.get(d.route, d.route), dose_mg=d.dose_mg,
                 mg_per_kg=d.mg_per_kg)
        for d in Dose.objects.filter(session__course__patient=patient)
        .select_related("session").order_by("started_at", "id")
    ]
    events = [
        EventLine(recorded_at=e.recorded_at.astimezone(zone), session=e.session.number,
                  term=e.term, severity=Severity(e.severity).label, serious=e.serious,
                  action=e.action, outcome=e.outcome)
        for e in AdverseEvent.objects.filter(session__course__patient=patient)
        .select_related("session").order_by("recorded_at", "id")
    ]
    paper = "a4" if str(clinic.setting(PAPER_SETTING, "letter")).lower() == "a4" else "letter"
    return Letter(
        clinic=clinic.name, clinic_address=clinic.address, time_zone=clinic.time_zone,
        paper=paper, today=today, patient_name=patient.full_name,
        date_of_birth=patient.date_of_birth, mrn=patient.mrn, recipient=recipient.strip(),
        practice=practice.strip(), comment=comment.strip(), author=person(author),
        courses=courses, doses=doses, outcomes=_outcomes(patient, zone), events=events)


# ---------------------------------------------------------------------------- PDF

INK = (27, 36, 48)
MUTED = (90, 100, 110)


class _LetterPDF(FPDF):
    def __init__(self, letter: Letter) -> None:
        super().__init__(orientation="portrait", unit="mm", format=letter.paper)
        self.letter = letter
        self.set_margins(20, 16, 20)
        self.set_auto_page_break(auto=True, margin=24)
        self.set_title(latin1(f"Progress letter, {letter.clinic}"))
        self.set_author("KetaCare")

    def header(self) -> None:
        if self.page_no() == 1:
            return
        # Later pages carry the patient, so a loose page still says whose it is.
        letter = self.letter
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 4, latin1(f"Re: {letter.patient_name}, DOB "
                                     f"{letter.date_of_birth:%Y-%m-%d}, MRN {letter.mrn} - "
                                     f"{letter.clinic}, {letter.today:%Y-%m-%d}"),
                        new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-18)
        self.set_draw_color(200, 208, 216)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(*MUTED)
        width = self.epw - 28
        y = self.get_y()
        self.multi_cell(width, 3.6, latin1(CONFIDENTIAL), new_x="LMARGIN", new_y="NEXT")
        self.set_xy(self.l_margin + width, y)
        self.cell(28, 3.6, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("Helvetica", "B", 10.5)
        self.set_fill_color(*HEAD_FILL)
        self.cell(0, 6.4, latin1(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def para(self, text: str, size: float = 10, height: float = 5.0) -> None:
        self.set_font("Helvetica", "", size)
        self.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def note(self, text: str) -> None:
        self.set_text_color(*MUTED)
        self.para(text, size=8, height=3.8)
        self.set_text_color(*INK)

    def rows(self, rows: list[list[str]], widths: tuple[float, ...],
             align: tuple[str, ...] | None = None) -> None:
        table(self, rows, widths, width=self.epw, text_align=align or "LEFT",
              line_height=4.4, padding=(1, 1.2), borders_layout="SINGLE_TOP_LINE")
        self.ln(2)

    def room(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def table_room(self, rows: int) -> None:
        """Keep a heading with its table: a short table moves whole to the next page, a
        long one starts here if its heading and first rows fit."""
        self.room(min(12 + 7.0 * (rows + 1), 60))


def _letterhead(pdf: _LetterPDF, letter: Letter) -> None:
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(pdf.epw - 50, 7, latin1(letter.clinic))
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(50, 7, f"{letter.today:%Y-%m-%d}", align="R", new_x="LMARGIN", new_y="NEXT")
    if letter.clinic_address:
        pdf.set_text_color(*MUTED)
        pdf.para(letter.clinic_address, size=9, height=4.2)
        pdf.set_text_color(*INK)
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, latin1("\n".join(x for x in (letter.recipient, letter.practice) if x)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font("Helvetica", "B", 10.5)
    pdf.multi_cell(0, 5.4, latin1(f"Re: {letter.patient_name}, DOB "
                                  f"{letter.date_of_birth:%Y-%m-%d}, MRN {letter.mrn}"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, "Progress report on ketamine treatment", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.para(f"Dear {letter.recipient},")
    pdf.ln(2)
    pdf.para(letter.summary)
    pdf.ln(1)


def _section(pdf: _LetterPDF, title: str, empty: str, header: list[str],
             rows: list[list[str]], widths: tuple[float, ...],
             align: tuple[str, ...] | None = None) -> None:
    """A headed table, kept with its heading, or `empty` when there are no rows."""
    pdf.table_room(len(rows))
    pdf.heading(title)
    if not rows:
        pdf.para(empty)
        return
    pdf.rows([header, *rows], widths, align=align)


def _courses(pdf: _LetterPDF, letter: Letter) -> None:
    _section(pdf, "Treatment courses", "No treatment course recorded.",
             ["Protocol", "Route", "Indication", "Start", "Status", "Sessions given"],
             [[c.protocol, c.route, c.indication, f"{c.start:%Y-%m-%d}", c.status,
               f"{c.given} of {c.planned}"] for c in letter.courses],
             (38, 40, 36, 20, 20, 18))


def _doses(pdf: _LetterPDF, letter: Letter) -> None:
    _section(pdf, f"Doses given (times in {letter.time_zone})", "No doses given.",
             ["Date and time", "Session", "Drug", "Route", "Dose (mg)", "mg/kg"],
             [[f"{d.given_at:%Y-%m-%d %H:%M}", str(d.session), d.drug, d.route,
               plain(d.dose_mg), plain(d.mg_per_kg) if d.mg_per_kg is not None else "-"]
              for d in letter.doses],
             (32, 16, 36, 28, 20, 18), align=("LEFT", "RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT"))


def _outcomes_section(pdf: _LetterPDF, letter: Letter) -> None:
    charts = [o.trajectory.png(width=520, height=180) for o in letter.outcomes]
    image_w = pdf.epw
    heights = [image_height(png, image_w) for png in charts]
    # The section heading stays with the first instrument, each instrument's heading,
    # table, rule and chart stay together on one page.
    block = 6 + 16 + 10 + 5
    pdf.room(20 + (block + heights[0] if charts else 10))
    pdf.heading("Questionnaire scores and response")
    if not letter.outcomes:
        pdf.para("No questionnaire scores recorded yet.")
        return
    pdf.note(BASELINE_RULE + f" Times in {letter.time_zone}.")
    for o, png, image_h in zip(letter.outcomes, charts, heights, strict=True):
        pdf.room(block + image_h)
        pdf.ln(1)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, latin1(f"{o.instrument.short_name} ({o.instrument.name})"),
                 new_x="LMARGIN", new_y="NEXT")
        change = (f"{o.outcome.change:+d}" if o.outcome else "-")
        pct = percent(o.outcome) if o.outcome else "-"
        pdf.rows([["Baseline", "Latest", "Change", "% change", "Outcome"],
                  [o.baseline_cell,
                   f"{o.latest} ({o.latest_at:%Y-%m-%d})", change, pct, o.category]],
                 (34, 34, 18, 30, 34))
        pdf.note(f"Outcome rule: {o.rule}")
        pdf.ln(1)
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=image_w, h=image_h)
        legend = o.trajectory.caption
        if o.trajectory.alerts:
            legend += " Alerts: " + "; ".join(
                f"{a.label}, {a.when.astimezone(o.trajectory.zone):%Y-%m-%d}, total {a.total}"
                for a in o.trajectory.alerts) + "."
        if legend:
            pdf.note(legend)
        pdf.ln(2)


def _events(pdf: _LetterPDF, letter: Letter) -> None:
    _section(pdf, "Adverse events", "None recorded.",
             ["Date", "Session", "Event", "Severity", "Serious", "Action", "Outcome"],
             [[f"{e.recorded_at:%Y-%m-%d %H:%M}", str(e.session), e.term, e.severity,
               "Yes" if e.serious else "No", e.action or "-", e.outcome or "-"]
              for e in letter.events],
             (26, 14, 34, 18, 14, 34, 30))


def _closing(pdf: _LetterPDF, letter: Letter) -> None:
    if letter.comment:
        pdf.heading("Comment")
        pdf.para(letter.comment)
    pdf.room(40)
    pdf.ln(6)
    pdf.para("Yours sincerely,")
    pdf.ln(14)
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, y, pdf.l_margin + 80, y)
    pdf.ln(1.5)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 5, latin1(letter.author), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9.5)
    pdf.cell(0, 5, latin1(f"Prescriber, {letter.clinic}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.note(f"Generated by KetaCare from the clinic record on {letter.today:%Y-%m-%d}. The "
             "score charts come from the same chart definitions as the clinic's web pages.")


def letter_pdf(letter: Letter) -> bytes:
    pdf = _LetterPDF(letter)
    pdf.alias_nb_pages()
    pdf.add_page()
    _letterhead(pdf, letter)
    _courses(pdf, letter)
    _doses(pdf, letter)
    _outcomes_section(pdf, letter)
    _events(pdf, letter)
    _closing(pdf, letter)
    return bytes(pdf.output())


def filename(letter: Letter) -> str:
    """No patient name or id: the clinic's date only."""
    return f"progress-letter-{letter.today:%Y-%m-%d}.pdf"
