"""Every clinic setting a clinic admin may change, declared once: key, type, range, group,
help text and (for clinical numbers) the source. The settings page (`/clinic/settings/`)
builds its form from this list and `update` validates, saves and audits from it, so a new
setting is one more `Setting(...)` line here and nothing else.

Model fields (name, time zone, address) and keys of `Clinic.settings` (JSON) are listed
alike; a key left unset falls back to the product default in the module that reads it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.http import HttpRequest

from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical import instruments
from ketacare.clinical.outcomes import WORSENED_PCT_RANGE

from .models import Clinic, Membership, validate_time_zone
from .permissions import MATRIX, Perm
from .staff import Staff

Kind = Literal["text", "textarea", "int", "bool", "choice", "choices", "prescriber"]


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    group: str
    kind: Kind
    default: Callable[[], Any]
    help: str = ""
    source: str = ""  # where a clinical number comes from; shown beside the field
    min_value: int | None = None
    max_value: int | None = None
    max_length: int = 500
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    model_field: bool = False  # a column of Clinic, not a key of Clinic.settings
    validators: tuple[Callable[[Any], None], ...] = field(default=())
    # One entry of a dict-valued setting (e.g. selfreport_dissociation_above["cadss"]).
    subkey: str = ""

    @property
    def name(self) -> str:
        """The form field's name."""
        return f"{self.key}__{self.subkey}" if self.subkey else self.key

    def current(self, clinic: Clinic) -> Any:
        if self.model_field:
            return getattr(clinic, self.key)
        if self.subkey:
            value = {**self.default(), **clinic.setting(self.key, {})}.get(self.subkey)
            # Several choices are stored (and compared) as a JSON list.
            return list(value or ()) if self.kind == "choices" else value
        return clinic.setting(self.key, self.default())

    def form_field(self, clinic: Clinic) -> forms.Field:
        common: dict[str, Any] = {"label": self.label, "required": self.required,
                                  "help_text": self.help,
                                  "validators": list(self.validators)}
        if self.kind == "bool":
            return forms.BooleanField(**{**common, "required": False})
        if self.kind == "int":
            return forms.IntegerField(min_value=self.min_value, max_value=self.max_value,
                                      **common)
        if self.kind == "choice":
            return forms.ChoiceField(choices=self.choices, **common)
        if self.kind == "choices":
            return forms.MultipleChoiceField(choices=self.choices, **common,
                                             widget=forms.CheckboxSelectMultiple)
        if self.kind == "prescriber":
            return forms.ChoiceField(choices=[("", "Nobody")] + prescribers(clinic), **common)
        widget = forms.Textarea(attrs={"rows": 3}) if self.kind == "textarea" else None
        return forms.CharField(max_length=self.max_length, widget=widget, **common)


def _setting_default(name: str) -> Callable[[], Any]:
    return lambda: getattr(django_settings, name)


def _const(value: Any) -> Callable[[], Any]:
    return lambda: value


def _lazy(module: str, name: str) -> Callable[[], Any]:
    """The product default where the reading code keeps it (imported late: those modules
    import accounts)."""
    return lambda: getattr(importlib.import_module(module), name)


def prescribers(clinic: Clinic) -> list[tuple[str, str]]:
    """(username, label) of the clinic's active members who may sign orders."""
    roles = [r for r, perms in MATRIX.items() if Perm.SIGN_ORDERS in perms]
    members = (Membership.objects.filter(clinic=clinic, active=True, role__in=roles,
                                         user__is_active=True)
               .select_related("user").order_by("user__username"))
    out: dict[str, str] = {}
    for m in members:
        full = m.user.get_full_name()
        out[m.user.username] = f"{full} ({m.user.username})" if full else m.user.username
    return list(out.items())


DETAILS = "Clinic details"
SECURITY = "Sign-in and security"
SAFETY = "Safety"
SELFREPORT = "Patient self-report"
SR_SCHEDULE = "Self-report: questionnaires and reminders"
SR_INSTRUMENTS = "Self-report: questionnaires per condition"
SR_ALERTS = "Self-report: alert thresholds"
DOCUMENTS = "Documents"
TREATMENT = "Treatment day"
ANALYTICS = "Analytics"
_RULES = "ketacare.clinical.answer_alerts"
_SCHEDULE = "ketacare.clinical.measurement_schedule"


# Questionnaires a patient answers alone (the self-report forms); clinician-rated scales
# (MADRS, CADSS, BPRS) are scored in the session, never sent.
_SELF_REPORT_INSTRUMENTS = tuple((i.id, i.short_name) for i in instruments.all_instruments()
                                 if i.rater == "self")


def _schedule_days(name: str, label: str, low: int, help: str) -> Setting:
    return Setting(f"selfreport_{name}", label, SR_SCHEDULE, "int",
                   lambda: getattr(importlib.import_module(_SCHEDULE).Rules(), name),
                   min_value=low, max_value=30, required=True, help=help,
                   source="[clinic default]")


def _per_instrument(key: str, instrument: str, label: str, default: str, low: int,
                    high: int, help: str) -> Setting:
    return Setting(key, label, SR_ALERTS, "int", _lazy(_RULES, default), subkey=instrument,
                   min_value=low, max_value=high, required=True, help=help,
                   source="[clinic default; check with your medical director]")

SETTINGS: tuple[Setting, ...] = (
    Setting("name", "Clinic name", DETAILS, "text", _const(""), required=True,
            max_length=200, model_field=True),
    Setting("time_zone", "Time zone", DETAILS, "text", _const("America/New_York"),
            required=True, max_length=64, model_field=True, validators=(validate_time_zone,),
            help="IANA name, e.g. America/New_York: every time is shown in this zone and "
                 "\"today\" for doses and schedules means today here."),
    Setting("address", "Address", DETAILS, "textarea", _const(""), model_field=True,
            help="Printed on REMS forms (healthcare setting) and letters."),
    Setting("dea_registration", "DEA registration number", DETAILS, "text", _const(""),
            max_length=9,
            validators=(RegexValidator(r"^[A-Za-z]{2}\d{7}$",
                                       "Two letters and seven digits, e.g. AB1234563."),),
            help="Two letters and seven digits, e.g. AB1234563 (the registrant of the "
                 "controlled-substance ledger)."),
    Setting("phone", "Clinic phone", DETAILS, "text", _const(""), max_length=40,
            help="Printed on the Spravato REMS patient monitoring form (clinician phone) "
                 "and shown to patients when no self-report phone is set."),
    Setting("rems_healthcare_setting_id", "Spravato REMS healthcare setting id", DETAILS,
            "text", _const(""), max_length=40,
            help="The id the Spravato REMS gave your certified healthcare setting."),
    Setting("require_two_factor", "Require two-factor sign-in", SECURITY, "bool",
            _const(False),
            help="Every member must set up an authenticator app before using KetaCare."),
    Setting("session_idle_minutes", "Sign out after inactivity (minutes)", SECURITY, "int",
            lambda: django_settings.KETACARE_SESSION_IDLE_SECONDS // 60, min_value=5,
            max_value=240, required=True,
            help="Whoever does nothing for this long is signed out: longer suits a tablet "
                 "watched through a two-hour observation, shorter a shared front-desk "
                 "computer. After "
                 f"{django_settings.KETACARE_SESSION_ABSOLUTE_SECONDS // 3600} hours everyone "
                 "is signed out whatever they do."),
    Setting("weight_max_age_days", "Weight must be recorded within (days)", SAFETY, "int",
            _lazy("ketacare.patients.chart", "WEIGHT_MAX_AGE_DAYS"), min_value=1,
            max_value=365, required=True,
            help="A weight-based dose needs a weight at most this old.",
            source="Product default 30 days [check: clinic policy, no guideline figure]"),
    Setting("screening_valid_days", "A screening holds for (days)", SAFETY, "int",
            _lazy("ketacare.clinical.eligibility", "SCREENING_VALID_DAYS"),
            min_value=1, max_value=365, required=True,
            help="A course can start only on a screening at most this old.",
            source="[clinic default] 90 days: no guideline figure"),
    Setting("discharge_spo2_min", "Discharge needs SpO2 of at least (%)", SAFETY, "int",
            _const(None), min_value=80, max_value=100,
            help="Leave empty to use each protocol's SpO2 alert limit (92% in the shipped "
                 "protocols).",
            source="In-session clinic default: SpO2 < 92% notifies the prescriber "
                   "[check, not from a guideline]"),
    Setting("iv_bag_volume_ml", "IV bag volume (mL)", TREATMENT, "int",
            _lazy("ketacare.clinical.iv_prep", "IV_BAG_VOLUME_ML"), min_value=20,
            max_value=1000, required=True,
            help="Sodium chloride 0.9% bag the IV dose is diluted in; the dose step works "
                 "out the pump rate from it.",
            source="[clinic default] 100 mL"),
    Setting("on_duty_prescriber", "On-duty prescriber", TREATMENT, "prescriber", _const(""),
            help="Receives every clinical alert of a session besides the course's "
                 "prescriber. Only active prescribers of this clinic can be chosen."),
    Setting("session_alert_delivery", "Send session alerts to prescribers", TREATMENT,
            "choice", _const("page"),
            choices=(("page", "Home page and badge only"), ("email", "Also by email"),
                     ("sms", "Also by SMS"), ("email_sms", "Also by email and SMS")),
            help="A dosing hold, a monitoring alert, a serious adverse event or a patient "
                 "not ready to leave: always on the prescribers' home page; by email to "
                 "their address and by SMS to the mobile on their account page if chosen "
                 "here. Messages never say who the patient is."),
    Setting("aftercare_send", "Send the aftercare sheet after discharge", TREATMENT, "bool",
            _const(True),
            help="A link by email and/or SMS to patients with a contact on file."),
    Setting("selfreport_crisis_text", "Crisis text", SELFREPORT, "textarea",
            _setting_default("KETACARE_SELFREPORT_CRISIS_TEXT"), required=True,
            help="Shown to a patient at once when an answer raises a safety alert.",
            source="Default: 988 Suicide & Crisis Lifeline (US)"),
    Setting("selfreport_review_time", "When the clinic reviews answers", SELFREPORT, "text",
            _setting_default("KETACARE_SELFREPORT_REVIEW_TIME"), required=True,
            max_length=120, help="Told to patients, e.g. \"within one business day\"."),
    Setting("selfreport_phone", "Clinic phone for patients", SELFREPORT, "text", _const(""),
            max_length=40),
    Setting("selfreport_show_progress", "Show patients their own score history", SELFREPORT,
            "bool", _const(True)),
    Setting("selfreport_escalate_minutes", "Escalate unacknowledged alerts after (minutes)",
            SELFREPORT, "int", _setting_default("KETACARE_SELFREPORT_ESCALATE_MINUTES"),
            min_value=5, max_value=1440, required=True,
            help="Then the clinic's admins are emailed."),
    Setting("selfreport_reminder_hours", "Reminder after (hours)", SR_SCHEDULE, "int",
            _setting_default("KETACARE_SELFREPORT_REMINDER_HOURS"), min_value=1,
            max_value=168, required=True),
    Setting("selfreport_reminders", "Reminders at most", SR_SCHEDULE, "int",
            _setting_default("KETACARE_SELFREPORT_REMINDERS"), min_value=0, max_value=10,
            required=True),
    Setting("selfreport_grace_days", "Link stays open after its window (days)", SR_SCHEDULE,
            "int", _setting_default("KETACARE_SELFREPORT_GRACE_DAYS"), min_value=0,
            max_value=14, required=True),
    _schedule_days("baseline_lead_days", "Baseline questionnaire opens before session 1 "
                   "(days)", 0, "How many days before the first session."),
    _schedule_days("pre_session_lead_days", "Pre-session questionnaire opens (days "
                   "before)", 0, "Before each induction session."),
    _schedule_days("after_session_window_days", "After-session questionnaire open for "
                   "(days)", 1, "From the day after the session."),
    _schedule_days("maintenance_every_days", "Maintenance questionnaire every (days)", 1,
                   "During maintenance."),
    _schedule_days("maintenance_window_days", "Maintenance questionnaire open for (days)", 1,
                   "Each time it is sent."),
    *(Setting("selfreport_instruments", f"Questionnaires for {label}", SR_INSTRUMENTS,
              "choices", _lazy(_SCHEDULE, "DEFAULT_INSTRUMENTS"), subkey=condition,
              choices=_SELF_REPORT_INSTRUMENTS, required=True,
              help=f"Sent to {who}: at baseline, before sessions and in maintenance.")
      for condition, label, who in (
          ("depression", "depression", "patients treated for depression"),
          ("anxiety", "anxiety", "patients treated for anxiety"),
          ("ptsd", "PTSD", "patients treated for PTSD"),
          ("other", "other conditions", "patients with another primary condition, or none "
                                        "recorded"))),
    *(_per_instrument("selfreport_rise_points", i, f"{name} rise above baseline that "
                      "alerts (points)", "DEFAULT_RISE_POINTS", 1, high,
                      "A rise of at least this many points raises an alert.")
      for i, name, high in (("phq9", "PHQ-9", 27), ("gad7", "GAD-7", 21),
                            ("pcl5", "PCL-5", 80), ("qids-sr16", "QIDS-SR16", 27))),
    Setting("selfreport_psychosis_rise_points", "BPRS positive rise that alerts (points)",
            SR_ALERTS, "int", _lazy(_RULES, "DEFAULT_PSYCHOSIS_RISE_POINTS"),
            min_value=1, max_value=24, required=True,
            help="Rise above baseline on the BPRS positive subscale (4-28) that raises a "
                 "possible-psychotic-symptoms alert.",
            source="[clinic default; check with your medical director]"),
    *(_per_instrument("selfreport_dissociation_above", i, f"{name} total that alerts "
                      "(above)", "DEFAULT_DISSOCIATION_ABOVE", 0, high,
                      "A total above this outside the dosing session raises a dissociation "
                      "alert.")
      for i, name, high in (("cadss", "CADSS", 92), ("cadss6", "CADSS-6", 24))),
    Setting("outcome_worsened_pct", "Worsened: a rise from baseline of at least (%)",
            SELFREPORT, "int", _lazy("ketacare.clinical.outcomes", "DEFAULT_WORSENED_PCT"),
            min_value=WORSENED_PCT_RANGE[0], max_value=WORSENED_PCT_RANGE[1], required=True,
            help="The outcome category on the staff self-report page and the progress "
                 "letter: a score this much above the baseline is \"worsened\".",
            source="[clinic default] 25% (published reliable-change amounts differ by "
                   "instrument [check])"),
    Setting("analytics_min_patients", "Smallest group shown in analytics (patients)",
            ANALYTICS, "int", _lazy("ketacare.analytics.filters", "MIN_PATIENTS"),
            min_value=2, max_value=50, required=True,
            help="A filtered view with fewer patients shows no figures, and smaller counts "
                 "show as \"fewer than\" this, so a rate cannot point at a person.",
            source="[clinic default] 5"),
    Setting("letter_paper", "Letter paper size", DOCUMENTS, "choice", _const("letter"),
            choices=(("letter", "US Letter"), ("a4", "A4"))),
)

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(s.group for s in SETTINGS))
BY_KEY = {s.name: s for s in SETTINGS}


class ClinicSettingsForm(forms.Form):
    def __init__(self, clinic: Clinic, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for s in SETTINGS:
            self.fields[s.name] = s.form_field(clinic)
            self.initial[s.name] = s.current(clinic)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Clinic.objects.filter(name__iexact=name)
        if self.clinic_pk is not None:
            clash = clash.exclude(pk=self.clinic_pk)
        if clash.exists():
            raise ValidationError(f"Another clinic is called {name!r}.")
        return name

    clinic_pk: int | None = None

    def grouped(self) -> list[tuple[str, list[tuple[forms.BoundField, Setting]]]]:
        return [(g, [(self[s.name], s) for s in SETTINGS if s.group == g]) for g in GROUPS]


def form_for(clinic: Clinic, data: Any = None) -> ClinicSettingsForm:
    form = ClinicSettingsForm(clinic, data)
    form.clinic_pk = clinic.pk
    return form


@transaction.atomic
def update(staff: Staff, cleaned: dict[str, Any], *,
           request: HttpRequest | None = None) -> dict[str, dict[str, Any]]:
    """Save what changed; one audit entry with old and new values. Returns the changes."""
    staff.require(Perm.MANAGE_CLINIC)
    clinic = Clinic.objects.select_for_update().get(pk=staff.clinic.pk)
    changes: dict[str, dict[str, Any]] = {}
    for s in SETTINGS:
        if s.name not in cleaned:
            continue
        old, new = s.current(clinic), cleaned[s.name]
        if old == new:
            continue
        changes[s.name] = {"old": old, "new": new}
        if s.model_field:
            setattr(clinic, s.key, new)
        elif s.subkey:
            entries = {**clinic.setting(s.key, {}), s.subkey: new}
            clinic.settings = {**clinic.settings, s.key: entries}
        else:
            clinic.settings = {**clinic.settings, s.key: new}
    if changes:
        clinic.full_clean()
        clinic.save()
        record(Action.UPDATE, request=request, user=staff.user, role=staff.role_label,
               clinic_id=clinic.pk, obj=clinic, detail={"settings": changes})
    return changes
