"""Forms for courses and the session day. Rules live in the actions and the clinical
core; these forms only shape input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from ketacare.accounts.staff import Staff
from ketacare.clinical import protocols
from ketacare.ledger.models import StockItem

from .models import ClinicProtocol, Severity

DATE = forms.DateInput(attrs={"type": "date"})
WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class CourseForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=ClinicProtocol.objects.none())
    indication = forms.CharField(max_length=120, help_text="e.g. treatment-resistant depression")
    start_date = forms.DateField(widget=DATE)
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text="The clinic's treatment days for this course")
    sessions = forms.IntegerField(required=False, min_value=1, max_value=60,
                                  help_text="Leave empty for the protocol's own schedule")
    proceed_reason = forms.CharField(
        label="Reason to proceed", max_length=300, required=False,
        help_text="Only when the plan raises a warning (induction doses on consecutive days, "
        "another active course)")

    def __init__(self, staff: Staff, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = ClinicProtocol.objects.filter(  # type: ignore[attr-defined]
            clinic=staff.clinic, active=True)
        self.fields["start_date"].initial = timezone.localdate()


class MoveForm(forms.Form):
    new_date = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=300, required=False)


class SessionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("missed", "Missed"), ("cancelled", "Cancelled")])
    reason = forms.CharField(max_length=300)


class CheckInForm(forms.Form):
    npo_confirmed = forms.BooleanField(required=False,
                                       label="Nothing to eat for 2 h and to drink for 30 min")
    escort_present = forms.BooleanField(required=False, label="Escort present to take them home")
    no_driving_ack = forms.BooleanField(required=False,
                                        label="Patient agrees not to drive until the next day")


class VitalsForm(forms.Form):
    sbp = forms.IntegerField(label="SBP (mmHg)", required=False)
    dbp = forms.IntegerField(label="DBP (mmHg)", required=False)
    hr = forms.IntegerField(label="HR (/min)", required=False)
    spo2 = forms.IntegerField(label="SpO2 (%)", required=False)
    rr = forms.IntegerField(label="RR (/min)", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) is not None for k in ("sbp", "dbp", "hr", "spo2", "rr")):
            raise forms.ValidationError("Enter at least one reading.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class DoseForm(forms.Form):
    mg_per_kg = forms.DecimalField(label="Dose (mg/kg)", required=False, max_digits=5,
                                   decimal_places=3)
    fixed_mg = forms.TypedChoiceField(label="Dose (mg)", required=False, coerce=int,
                                      empty_value=None)
    stock_item = forms.ModelChoiceField(queryset=StockItem.objects.none(),
                                        label="Drawn from stock")
    lot = forms.CharField(max_length=40)
    expiry = forms.DateField(widget=DATE)
    second_check_by = forms.ModelChoiceField(queryset=User.objects.none(), required=False,
                                             label="Second check by (IV)")
    override_reason = forms.CharField(
        max_length=300, required=False,
        label="Prescriber override reason (only for a dose above the usual range)")

    def __init__(self, staff: Staff, protocol: protocols.Protocol, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.fields["stock_item"].queryset = StockItem.objects.filter(  # type: ignore[attr-defined]
            clinic=staff.clinic, drug=protocol.drug)
        self.fields["second_check_by"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__clinic=staff.clinic, memberships__active=True,
            memberships__role__in=["prescriber", "nurse"]).exclude(pk=staff.user.pk).distinct()
        rule = protocol.dose
        if rule.basis == "fixed_mg":
            del self.fields["mg_per_kg"]
            if rule.options_mg:
                choice = self.fields["fixed_mg"]
                assert isinstance(choice, forms.TypedChoiceField)
                choice.choices = [(mg, f"{mg} mg") for mg in rule.options_mg]
            else:
                self.fields["fixed_mg"] = forms.IntegerField(
                    label="Dose (mg)", min_value=rule.min_mg or 1, max_value=int(rule.max_mg))
            self.fields["fixed_mg"].required = True
            self.fields["fixed_mg"].initial = rule.default_mg
        else:
            del self.fields["fixed_mg"]
            self.fields["mg_per_kg"].required = True
            self.fields["mg_per_kg"].initial = rule.default_mg_per_kg
        if protocol.route != "iv":
            del self.fields["second_check_by"]


class CadssForm(forms.Form):
    """CADSS-6: items 1, 2, 6, 7, 15 and 22 of the CADSS, 0-4 each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ketacare.clinical.instruments import get

        for item in get("cadss6").items:
            self.fields[f"item_{item.number}"] = forms.IntegerField(
                label=item.label, min_value=0, max_value=4,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def values(self) -> list[int]:
        return [self.cleaned_data[name] for name in self.fields]


class MoaasForm(forms.Form):
    moaas = forms.TypedChoiceField(
        label="MOAA/S sedation", coerce=int,
        choices=[(5, "5 responds readily to name"), (4, "4 lethargic response to name"),
                 (3, "3 responds only after name called loudly"),
                 (2, "2 responds only after mild prodding"),
                 (1, "1 responds only to trapezius squeeze"), (0, "0 no response")])


class AdverseEventForm(forms.Form):
    term = forms.CharField(max_length=120, help_text="e.g. nausea, dizziness, hypertension")
    severity = forms.ChoiceField(choices=Severity.choices)
    serious = forms.BooleanField(required=False, label="Serious adverse event")
    action = forms.CharField(max_length=200, required=False)
    outcome = forms.CharField(max_length=200, required=False)


class DischargeForm(forms.Form):
    dissociation_resolved = forms.BooleanField(required=False,
                                               label="Dissociation resolved (clinician)")
    escort_present = forms.BooleanField(required=False, label="Escort present")
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(
        attrs={"rows": 2}))


class AmendForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Amendment")
    reason = forms.CharField(max_length=300)
