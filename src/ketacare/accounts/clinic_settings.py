"""Every clinic setting a clinic admin may change, declared once: key, type, range, group,
help text and (for clinical numbers) the source. The settings page (`/clinic/settings/`)
builds its form from this list and `update` validates, saves and audits from it, so a new
setting is one more `Setting(...)` line here and nothing else.

Model fields (name, time zone, address) and keys of `Clinic.settings` (JSON) are listed
alike; a key left unset falls back to the product default in the module that reads it."""

from __future__ import annotations

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

from .models import Clinic, validate_time_zone
from .permissions import Perm
from .staff import Staff

Kind = Literal["text", "textarea", "int", "bool", "choice"]


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

    def current(self, clinic: Clinic) -> Any:
        if self.model_field:
            return getattr(clinic, self.key)
        return clinic.setting(self.key, self.default())

    def form_field(self) -> forms.Field:
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
        widget = forms.Textarea(attrs={"rows": 3}) if self.kind == "textarea" else None
        return forms.CharField(max_length=self.max_length, widget=widget, **common)


def _setting_default(name: str) -> Callable[[], Any]:
    return lambda: getattr(django_settings, name)


def _const(value: Any) -> Callable[[], Any]:
    return lambda: value


def _weight_days() -> int:
    from ketacare.patients.chart import WEIGHT_MAX_AGE_DAYS

    return WEIGHT_MAX_AGE_DAYS


DETAILS = "Clinic details"
SECURITY = "Sign-in and security"
SAFETY = "Safety"
SELFREPORT = "Patient self-report"
DOCUMENTS = "Documents"

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
    Setting("rems_healthcare_setting_id", "Spravato REMS healthcare setting id", DETAILS,
            "text", _const(""), max_length=40,
            help="The id the Spravato REMS gave your certified healthcare setting."),
    Setting("require_two_factor", "Require two-factor sign-in", SECURITY, "bool",
            _const(False),
            help="Every member must set up an authenticator app before using KetaCare."),
    Setting("weight_max_age_days", "Weight must be recorded within (days)", SAFETY, "int",
            _weight_days, min_value=1, max_value=365, required=True,
            help="A weight-based dose needs a weight at most this old.",
            source="Product default 30 days [check: clinic policy, no guideline figure]"),
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
    Setting("selfreport_reminder_hours", "Reminder after (hours)", SELFREPORT, "int",
            _setting_default("KETACARE_SELFREPORT_REMINDER_HOURS"), min_value=1,
            max_value=168, required=True),
    Setting("selfreport_reminders", "Reminders at most", SELFREPORT, "int",
            _setting_default("KETACARE_SELFREPORT_REMINDERS"), min_value=0, max_value=10,
            required=True),
    Setting("selfreport_grace_days", "Link stays open after its window (days)", SELFREPORT,
            "int", _setting_default("KETACARE_SELFREPORT_GRACE_DAYS"), min_value=0,
            max_value=14, required=True),
    Setting("letter_paper", "Letter paper size", DOCUMENTS, "choice", _const("letter"),
            choices=(("letter", "US Letter"), ("a4", "A4"))),
)

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(s.group for s in SETTINGS))
BY_KEY = {s.key: s for s in SETTINGS}


class ClinicSettingsForm(forms.Form):
    def __init__(self, clinic: Clinic, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for s in SETTINGS:
            self.fields[s.key] = s.form_field()
            self.initial[s.key] = s.current(clinic)

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
        return [(g, [(self[s.key], s) for s in SETTINGS if s.group == g]) for g in GROUPS]


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
        if s.key not in cleaned:
            continue
        old, new = s.current(clinic), cleaned[s.key]
        if old == new:
            continue
        changes[s.key] = {"old": old, "new": new}
        if s.model_field:
            setattr(clinic, s.key, new)
        else:
            clinic.settings = {**clinic.settings, s.key: new}
    if changes:
        clinic.full_clean()
        clinic.save()
        record(Action.UPDATE, request=request, user=staff.user, role=staff.role_label,
               clinic_id=clinic.pk, obj=clinic, detail={"settings": changes})
    return changes
