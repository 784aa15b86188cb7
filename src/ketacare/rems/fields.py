"""The fields of the Spravato REMS Patient Monitoring Form (clinical reference s.4; the
2024 form's fields per s.8, issue 14 item 7: first treatment / enrolled, the monitoring
clinician's phone and email, the setting's city/state/ZIP, sex Male/Female/Other,
opioids among the concomitant medications), in the order the form asks them, and the
rules for when a form is complete. Plain Python: the
prefill, the web form, the PDF and the completeness check all read this one list.

Values are stored as JSON: text, ISO dates, "yes"/"no", whole numbers, and blood pressure
as "SBP/DBP" (e.g. "124/78")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

YES_NO = (("yes", "Yes"), ("no", "No"))
# As on the 2024 form (reference s.8). Forms saved before kept their old value, shown
# as stored.
SEX = (("male", "Male"), ("female", "Female"), ("other", "Other"))
# The form offers the two labelled doses and "other" (reference s.4).
DOSES = (("56", "56 mg"), ("84", "84 mg"), ("other", "Other"))

# Plausible ranges for what a person types; a value outside is a typo, not a reading.
MINUTES_RANGE = (0, 24 * 60)
DOSE_OTHER_RANGE = (1, 200)
SBP_RANGE = (50, 280)
DBP_RANGE = (20, 180)
_BP = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STATE = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    section: str
    kind: str  # text | date | choice | int | bp | email | state | zip
    choices: tuple[tuple[str, str], ...] = ()
    # Asked only when another field has a given answer, e.g. the other dose in mg.
    only_if: tuple[str, str] | None = None
    wide: bool = False  # long text: the whole row on the page

    def display(self, value: Any) -> str:
        """The value as it reads on the page and on paper."""
        if value in (None, ""):
            return ""
        if self.choices:
            return dict(self.choices).get(str(value), str(value))
        if self.kind == "int" and self.key.endswith("minutes"):
            return f"{value} min"
        if self.kind == "bp":
            return f"{value} mmHg"
        return str(value)


PATIENT, MEDS, SITE, TREATMENT, VITALS, EVENTS = (
    "Patient", "Concomitant medications", "Monitoring clinician and site",
    "Treatment session", "Vital signs", "Adverse events during monitoring")

FIELDS: tuple[Field, ...] = (
    Field("patient_name", "Patient name", PATIENT, "text"),
    Field("date_of_birth", "Date of birth", PATIENT, "date"),
    Field("sex", "Sex", PATIENT, "choice", SEX),
    Field("first_treatment", "Is this the patient's first treatment?", PATIENT, "choice",
          YES_NO),
    Field("enrolled", "Is the patient enrolled in the SPRAVATO REMS?", PATIENT, "choice",
          YES_NO),
    Field("benzodiazepines", "Benzodiazepines", MEDS, "choice", YES_NO),
    Field("hypnotics", "Non-benzodiazepine sleep medications (hypnotics)", MEDS, "choice",
          YES_NO),
    Field("psychostimulants", "Psychostimulants", MEDS, "choice", YES_NO),
    Field("maois", "Monoamine oxidase inhibitors (MAOIs)", MEDS, "choice", YES_NO),
    Field("opioids", "Opioids", MEDS, "choice", YES_NO),
    Field("clinician", "Monitoring healthcare provider", SITE, "text"),
    Field("clinician_phone", "Monitoring healthcare provider: phone", SITE, "text"),
    Field("clinician_email", "Monitoring healthcare provider: email", SITE, "email"),
    Field("site", "Healthcare setting (name and address)", SITE, "text", wide=True),
    Field("site_city", "Healthcare setting: city", SITE, "text"),
    Field("site_state", "Healthcare setting: state", SITE, "state"),
    Field("site_zip", "Healthcare setting: ZIP", SITE, "zip"),
    Field("treatment_date", "Treatment date", TREATMENT, "date"),
    Field("dose", "Dose", TREATMENT, "choice", DOSES),
    Field("dose_other_mg", "Other dose (mg)", TREATMENT, "int", only_if=("dose", "other")),
    Field("lot", "Lot number", TREATMENT, "text"),
    Field("total_minutes", "Total monitoring time: first device to end of monitoring (min)",
          TREATMENT, "int"),
    Field("ready_minutes", "Minutes until the patient would have been ready to leave",
          TREATMENT, "int"),
    Field("vitals_ok_predose", "Vital signs acceptable before administration", VITALS,
          "choice", YES_NO),
    Field("vitals_ok_completion", "Vital signs acceptable at the end of monitoring", VITALS,
          "choice", YES_NO),
    Field("bp_predose", "Blood pressure before dosing (SBP/DBP)", VITALS, "bp"),
    Field("bp_40min", "Blood pressure about 40 min after dosing (SBP/DBP)", VITALS, "bp"),
    Field("bp_discharge", "Blood pressure before discharge (SBP/DBP)", VITALS, "bp"),
    Field("sedation", "Sedation", EVENTS, "choice", YES_NO),
    Field("dissociation", "Dissociation", EVENTS, "choice", YES_NO),
    Field("respiratory_depression", "Respiratory depression", EVENTS, "choice", YES_NO),
    Field("serious_ae", "Serious adverse events", EVENTS, "choice", YES_NO),
    Field("serious_ae_terms", "Serious adverse events: describe", EVENTS, "text",
          only_if=("serious_ae", "yes"), wide=True),
)
BY_KEY = {f.key: f for f in FIELDS}
SECTIONS = tuple(dict.fromkeys(f.section for f in FIELDS))


def asked(field: Field, values: Mapping[str, Any]) -> bool:
    if field.only_if is None:
        return True
    other, answer = field.only_if
    return str(values.get(other) or "") == answer


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing(values: Mapping[str, Any]) -> list[Field]:
    """The fields that still need an answer, in form order."""
    return [f for f in FIELDS if asked(f, values) and blank(values.get(f.key))]


def clean(field: Field, raw: Any) -> Any:
    """One typed value from what was entered, or ValueError naming the allowed values.
    Blank is allowed (a draft); `missing` decides whether the form can be signed."""
    if blank(raw):
        return None
    text = str(raw).strip()
    if field.choices:
        # The stored key, whether the key or its label was typed (e.g. "Yes", "84 mg").
        known = {k.lower(): k for k, _ in field.choices}
        known.update({label.lower(): k for k, label in field.choices})
        if text.lower() not in known:
            allowed = ", ".join(label for _, label in field.choices)
            raise ValueError(f"Choose one of: {allowed}.")
        return known[text.lower()]
    if field.kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    if field.kind == "int":
        low, high = DOSE_OTHER_RANGE if field.key == "dose_other_mg" else MINUTES_RANGE
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"Enter a whole number from {low} to {high}.") from None
        if not low <= number <= high:
            raise ValueError(f"Enter a whole number from {low} to {high}.")
        return number
    if field.kind == "bp":
        match = _BP.match(text)
        if match is None:
            raise ValueError("Enter blood pressure as SBP/DBP, e.g. 124/78.")
        sbp, dbp = int(match[1]), int(match[2])
        if not SBP_RANGE[0] <= sbp <= SBP_RANGE[1]:
            raise ValueError(f"Systolic must be {SBP_RANGE[0]}-{SBP_RANGE[1]} mmHg.")
        if not DBP_RANGE[0] <= dbp <= DBP_RANGE[1]:
            raise ValueError(f"Diastolic must be {DBP_RANGE[0]}-{DBP_RANGE[1]} mmHg.")
        if dbp >= sbp:
            raise ValueError("Systolic must be higher than diastolic: were they swapped?")
        return f"{sbp}/{dbp}"
    if field.kind == "email" and not _EMAIL.match(text):
        raise ValueError("Enter an email address, e.g. name@clinic.org.")
    if field.kind == "state":
        if not _STATE.match(text):
            raise ValueError("Enter the two-letter state code, e.g. ME.")
        return text.upper()
    if field.kind == "zip" and not _ZIP.match(text):
        raise ValueError("Enter a ZIP code: 5 digits, or 5+4 (e.g. 04101-1234).")
    return text[:500]


# Printed on the page and on the PDF.
# [check]: how a site submits is set by the REMS program; this wording makes no claim
# beyond "this is not the submission".
NOTE = ("KetaCare note: this page mirrors the fields of the Spravato REMS Patient Monitoring "
        "Form as kept in the clinic record. It is not a REMS submission: submit the form "
        "through the Spravato REMS portal (or as the REMS program directs) within 7 days of "
        "the session. [check]")
