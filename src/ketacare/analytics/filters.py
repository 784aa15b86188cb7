"""The outcome dashboard's filters: condition, protocol, prescriber and the period in
which courses started. They select courses; the report then runs on those courses, their
sessions and their patients' assessments (each patient's earliest matching course is the
index course).

The period is whole calendar months: a date selects its month. Otherwise two views a day
apart differ by the patients who started that day, and subtracting one from the other
reveals their results (0/8 up to 5 October, 1/9 up to 12 October)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from ketacare.accounts.fields import PersonField
from ketacare.accounts.models import Clinic, Role
from ketacare.patients.models import Condition
from ketacare.pdf import person
from ketacare.treatment.forms import DATE
from ketacare.treatment.models import ClinicProtocol

# Below this many patients a filtered view shows no figures, and a count below it (or a
# rest of a denominator below it) is shown as "fewer than" this: a rate over a handful of
# patients can point at a person (product default; a clinic sets `analytics_min_patients`).
MIN_PATIENTS = 5


def min_patients(clinic: Clinic) -> int:
    """The clinic's small-group threshold (at least 2: 1 would suppress nothing)."""
    try:
        value = int(clinic.settings.get("analytics_min_patients", MIN_PATIENTS))
    except (TypeError, ValueError):
        return MIN_PATIENTS
    return max(value, 2)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


class OutcomeFilters(forms.Form):
    condition = forms.ChoiceField(choices=[("", "All conditions"), *Condition.choices],
                                  required=False)
    protocol = forms.ModelChoiceField(queryset=ClinicProtocol.objects.none(), required=False,
                                      empty_label="All protocols")
    prescriber = PersonField(queryset=User.objects.none(), required=False,
                             empty_label="All prescribers")
    started_from = forms.DateField(required=False, widget=DATE, label="Courses started from",
                                   help_text="From the first day of its month")
    started_to = forms.DateField(required=False, widget=DATE, label="to",
                                 help_text="To the last day of its month")

    def __init__(self, clinic: Clinic, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = (  # type: ignore[attr-defined]
            ClinicProtocol.objects.filter(clinic=clinic).order_by("name", "pk"))
        self.fields["prescriber"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__clinic=clinic, memberships__role=Role.PRESCRIBER,
        ).distinct().order_by("last_name", "first_name", "username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("started_from")
        end: date | None = data.get("started_to")
        if start and end and start > end:
            self.add_error("started_to", "The end of the period is before its start.")
            return data
        # Whole months, and the form shows the months it used.
        snapped = {"started_from": start and month_start(start),
                   "started_to": end and month_end(end)}
        shown = dict(self.data.items())
        for name, day in snapped.items():
            if day:
                data[name], shown[name] = day, day.isoformat()
        self.data = shown
        return data

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())

    def courses(self) -> Q | None:
        """The Course filter, or None when nothing is filtered (every course counts)."""
        if not self.active:
            return None
        data = self.cleaned_data
        q = Q()
        if data["condition"]:
            q &= Q(patient__primary_condition=data["condition"])
        if data["protocol"]:
            q &= Q(clinic_protocol=data["protocol"])
        if data["prescriber"]:
            q &= Q(started_by=data["prescriber"])
        if data["started_from"]:
            q &= Q(start_date__gte=data["started_from"])
        if data["started_to"]:
            q &= Q(start_date__lte=data["started_to"])
        return q

    def describe(self) -> list[str]:
        """The active filters in words, for a printed title: ["PTSD", "courses from ..."]."""
        data = self.cleaned_data
        words = [str(dict(Condition.choices)[data["condition"]])] if data["condition"] else []
        words += [f"protocol {data['protocol'].name}"] if data["protocol"] else []
        if data["prescriber"]:
            words.append(f"prescriber {person(data['prescriber'])}")
        if data["started_from"] or data["started_to"]:
            words.append(f"courses started {data['started_from'] or '...'} to "
                         f"{data['started_to'] or '...'}")
        return words

    def audit_detail(self) -> dict[str, Any]:
        """What was filtered on, for the audit entry (ids and dates, nothing about a patient)."""
        if not self.active:
            return {}
        return {k: (v.pk if hasattr(v, "pk") else str(v)) for k, v in self.cleaned_data.items()
                if v}
