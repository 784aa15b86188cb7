"""The protocol editor as a form: one field per protocol value, grouped, with units in the
labels. The clinical core (`Protocol.from_dict`) stays the only validator: the form turns
its fields into the protocol's dict, and a `ProtocolError` (dotted path such as
`dose.max_mg` or `schedule.phases[0].per_week[1]`) is shown at the field it names.

Fields are declared once in `FIELDS` (path in the protocol dict, label, kind, help);
a schedule phase gets the fields in `PHASE_FIELDS`, repeated per phase of the protocol
being edited (adding or removing phases is for JSON import)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django import forms

from ketacare.clinical.eligibility import ROUTES
from ketacare.clinical.protocols import DRUGS

Kind = Literal["text", "int", "number", "bool", "choice", "ints", "numbers"]
SEP = "__"


@dataclass(frozen=True)
class F:
    path: str  # dotted path in the protocol dict
    label: str
    group: str
    kind: Kind
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False

    @property
    def name(self) -> str:
        return self.path.replace(".", SEP)


GENERAL, DOSE, SCHEDULE, SESSION, SAFETY = ("Protocol", "Dose rule and limits", "Schedule",
                                           "Session and measurement plan",
                                           "Safety thresholds")
ROUTE_CHOICES = tuple(ROUTES.items())
DRUG_CHOICES = tuple(DRUGS.items())

FIELDS: tuple[F, ...] = (
    F("name", "Name", GENERAL, "text", required=True),
    F("indication", "Indication", GENERAL, "text"),
    F("route", "Route", GENERAL, "choice", choices=ROUTE_CHOICES, required=True),
    F("drug", "Drug", GENERAL, "choice", choices=DRUG_CHOICES, required=True),
    F("dose.basis", "Dose basis", DOSE, "choice", required=True,
      choices=(("mg_per_kg", "mg per kg of body weight"), ("fixed_mg", "Fixed dose in mg"))),
    F("dose.max_mg", "Absolute maximum (mg)", DOSE, "number", required=True,
      help="Never exceeded for any patient, on either basis."),
    F("dose.default_mg_per_kg", "Default (mg/kg)", DOSE, "number"),
    F("dose.min_mg_per_kg", "Minimum (mg/kg)", DOSE, "number"),
    F("dose.usual_max_mg_per_kg", "Usual maximum (mg/kg)", DOSE, "number",
      help="Above this (up to the maximum) needs a prescriber override with a reason."),
    F("dose.max_mg_per_kg", "Maximum (mg/kg)", DOSE, "number"),
    F("dose.default_mg", "Default (mg)", DOSE, "int"),
    F("dose.min_mg", "Minimum (mg)", DOSE, "int"),
    F("dose.usual_max_mg", "Usual maximum (mg)", DOSE, "int"),
    F("dose.options_mg", "Allowed doses (mg)", DOSE, "ints",
      help="Comma-separated, e.g. 56, 84. Blank: any dose within the limits."),
    F("dose.first_dose_mg", "First dose (mg)", DOSE, "int",
      help="More on dose 1 needs an override (esketamine label: 56 mg)."),
    F("dose.first_dose_mg_older", "First dose, older patients (mg)", DOSE, "int",
      help="From the age below (EU SmPC: 28 mg from 65). Setting it needs the patient's "
      "age to dose."),
    F("dose.older_only_mg", "Doses only for older patients (mg)", DOSE, "ints",
      help="Comma-separated, each one of the allowed doses (EU SmPC: 28)."),
    F("dose.older_age_years", "Older patients for dosing from age (years)", DOSE, "int"),
    F("dose.device_mg", "mg per device", DOSE, "int", help="Nasal spray devices only."),
    F("dose.device_interval_min", "Minutes between devices", DOSE, "int"),
    F("dose.concentrations_mg_ml", "Stocked concentrations (mg/mL)", DOSE, "numbers",
      help="Comma-separated, e.g. 10, 50, 100. Blank: any from 1 to 100 mg/mL."),
    F("dose.concentration_required", "Concentration is part of the order", DOSE, "bool",
      help="Injections drawn from a vial."),
    F("schedule.default_through_week", "Open-ended last phase: plan through week",
      SCHEDULE, "int"),
    F("review_after_induction", "Prescriber review before maintenance", SCHEDULE, "bool",
      help="Esketamine labels: the first maintenance session waits for a recorded "
      "decision after induction."),
    F("infusion_min", "Infusion (min)", SESSION, "int", help="IV only."),
    F("observation_min", "Observation (min)", SESSION, "int", required=True,
      help="Esketamine: at least 120 min (label)."),
    F("observation_from", "Observation counts from", SESSION, "choice", required=True,
      choices=(("end_of_infusion", "End of the infusion (IV)"),
               ("first_device", "First device (esketamine)"), ("dose", "The dose"))),
    F("vitals_every_min", "Vitals every (min)", SESSION, "int", required=True),
    F("vitals_at_min", "Extra vitals at (min)", SESSION, "ints",
      help="Comma-separated minutes from the start of dosing, e.g. 40."),
    F("npo_food_min", "Nothing to eat before (min)", SESSION, "int"),
    F("npo_liquids_min", "Nothing to drink before (min)", SESSION, "int"),
    F("discharge_max_cadss6", "CADSS-6 at discharge at most", SESSION, "int"),
    F("hold.sbp_above", "Hold dosing: SBP above (mmHg)", SAFETY, "int", required=True),
    F("hold.sbp_above_older", "Hold dosing, older patients: SBP above (mmHg)", SAFETY,
      "int", required=True),
    F("hold.older_age_years", "Older patients from age (years)", SAFETY, "int",
      required=True),
    F("hold.dbp_above", "Hold dosing: DBP above (mmHg)", SAFETY, "int", required=True),
    F("alerts.sbp_at_or_above", "Alert: SBP at or above (mmHg)", SAFETY, "int",
      required=True),
    F("alerts.dbp_at_or_above", "Alert: DBP at or above (mmHg)", SAFETY, "int",
      required=True),
    F("alerts.spo2_below", "Alert: SpO2 below (%)", SAFETY, "int", required=True),
    F("alerts.hr_above", "Alert: HR above (beats/min)", SAFETY, "int", required=True),
    F("alerts.hr_below", "Alert: HR below (beats/min)", SAFETY, "int", required=True),
    F("alerts.rr_below", "Alert: RR below (breaths/min)", SAFETY, "int"),
    F("alerts.rr_above", "Alert: RR above (breaths/min)", SAFETY, "int"),
)

PHASE_FIELDS: tuple[F, ...] = (
    F("title", "Title", SCHEDULE, "text", required=True),
    F("name", "Kind", SCHEDULE, "choice", required=True,
      choices=(("induction", "Induction"), ("maintenance", "Maintenance"))),
    F("per_week.0", "Sessions per week, at least", SCHEDULE, "int", required=True),
    F("per_week.1", "Sessions per week, at most", SCHEDULE, "int", required=True),
    F("sessions", "Number of sessions", SCHEDULE, "int",
      help="Give sessions or weeks; neither: open-ended (last phase only)."),
    F("weeks", "Number of weeks", SCHEDULE, "int"),
    F("every_weeks", "Weeks between active weeks", SCHEDULE, "ints",
      help="Comma-separated; the first is the default, e.g. 1, 2."),
    F("window_days.0", "Complete within (days), at least", SCHEDULE, "int"),
    F("window_days.1", "Complete within (days), at most", SCHEDULE, "int"),
)

# Sources and [check] notes travel with the protocol but are not edited in the form.
KEPT = ("id", "sources", "check_notes")


def _form_field(f: F, label: str) -> forms.Field:
    common: dict[str, Any] = {"label": label, "required": f.required, "help_text": f.help}
    if f.kind == "bool":
        return forms.BooleanField(**{**common, "required": False})
    if f.kind == "int":
        return forms.IntegerField(**common)
    if f.kind == "number":
        return forms.DecimalField(max_digits=10, decimal_places=4, **common)
    if f.kind == "choice":
        return forms.ChoiceField(choices=f.choices, **common)
    return forms.CharField(max_length=300, **common)


def _phase_field(i: int, f: F) -> F:
    return F(f"schedule.phases.{i}.{f.path}", f.label, f"{SCHEDULE}: phase {i + 1}", f.kind,
             f.help, f.choices, f.required)


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if data is None:
            return None
        data = data[int(part)] if isinstance(data, list) else data.get(part)
    return data


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for part, following in zip(parts, parts[1:], strict=False):
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, list):
            while len(node) <= key:
                node.append(None)
            if node[key] is None:
                node[key] = [] if following.isdigit() else {}
        else:
            node.setdefault(key, [] if following.isdigit() else {})
        node = node[key]
    last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _initial(f: F, value: Any) -> Any:
    if f.kind in ("ints", "numbers"):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value or ())
    if f.kind == "number" and isinstance(value, float) and value.is_integer():
        return int(value)  # 84, not 84.0, beside the whole-number fields
    return value


def _parse_list(f: F, raw: str) -> list[Any]:
    parts = [p for p in re.split(r"[,\s]+", raw.strip()) if p]
    out: list[Any] = []
    for p in parts:
        try:
            out.append(int(p) if f.kind == "ints" else float(Decimal(p)))
        except ArithmeticError:
            raise forms.ValidationError(f"{p!r} is not a number; give numbers separated by "
                                        "commas.") from None
        except ValueError:
            raise forms.ValidationError(f"{p!r} is not a whole number; give whole numbers "
                                        "separated by commas.") from None
    return out


class ProtocolFieldsForm(forms.Form):
    def __init__(self, data_in: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base = data_in
        phases = len(_get(data_in, "schedule.phases") or [])
        self.specs = list(FIELDS) + [_phase_field(i, f) for i in range(phases)
                                     for f in PHASE_FIELDS]
        for f in self.specs:
            self.fields[f.name] = _form_field(f, f.label)
            self.initial[f.name] = _initial(f, _get(data_in, f.path))

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        order = list(dict.fromkeys(f.group for f in self.specs))
        return [(g, [self[f.name] for f in self.specs if f.group == g]) for g in order]

    def protocol_data(self) -> dict[str, Any]:
        """The protocol dict from the cleaned fields (call after is_valid)."""
        out: dict[str, Any] = {k: self.base[k] for k in KEPT if k in self.base}
        for f in self.specs:
            value = self.cleaned_data.get(f.name)
            if f.kind in ("ints", "numbers"):
                try:
                    value = _parse_list(f, value or "")
                except forms.ValidationError as exc:
                    self.add_error(f.name, exc)
                    continue
            elif f.kind == "number" and value is not None:
                value = float(value)
            elif f.kind == "text" and not f.required:
                value = value or ""
            if value is not None:  # a blank optional field: the protocol's default
                _set(out, f.path, value)
        return out

    def field_for(self, path: str) -> str | None:
        """The form field a core error path names (`dose.max_mg`,
        `schedule.phases[0].per_week[1]`, `dose.options_mg[2]`), or None."""
        name = re.sub(r"\[(\d+)\]", r".\1", path).replace(".", SEP)
        while name:
            if name in self.fields:
                return name
            if SEP not in name:
                break
            name = name.rsplit(SEP, 1)[0]
        return None

