"""Forms for courses and the session day. Rules live in the actions and the clinical
core; these forms only shape input."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.utils import timezone

from ketacare.accounts import cosign
from ketacare.accounts.staff import Staff
from ketacare.clinical import protocols
from ketacare.ledger import lots
from ketacare.ledger.lots import Lot  # `lots` in DoseForm is its lots on hand
from ketacare.page_forms import StaticBlank

from .actions import shipped_for_first_course
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
        """A clinic with no protocols of its own yet is offered the shipped ones (by
        key; `start_course` copies them in); the page itself never writes."""
        super().__init__(*args, **kwargs)
        shipped = shipped_for_first_course(staff.clinic)
        self.options: list[tuple[str, protocols.Protocol]]
        if shipped:
            self.fields["protocol"] = forms.ChoiceField(
                choices=[(p.id, p.name) for p in shipped],
                help_text="Your clinic's first course: the shipped protocols are copied "
                "into the clinic when it starts.")
            self.options = [(p.name, p) for p in shipped]
        else:
            queryset = ClinicProtocol.objects.filter(clinic=staff.clinic, active=True)
            self.fields["protocol"].queryset = queryset  # type: ignore[attr-defined]
            self.options = [(cp.name, cp.protocol()) for cp in queryset]
        self.fields["start_date"].initial = timezone.localdate()


class MoveForm(forms.Form):
    new_date = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=300, required=False)
    proceed_reason = forms.CharField(
        label="Reason to proceed", max_length=300, required=False,
        help_text="Only when the move raises a warning (induction doses on consecutive days)")


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


class DoseForm(forms.Form):
    """Two stages: without `confirm` the page previews the calculated dose; with it the
    dose is recorded, co-signed where needed (accounts.cosign fields)."""

    mg_per_kg = forms.DecimalField(label="Dose (mg/kg)", required=False, max_digits=5,
                                   decimal_places=3)
    fixed_mg = forms.TypedChoiceField(label="Dose (mg)", required=False, coerce=int,
                                      empty_value=None)
    source = forms.ChoiceField(label="Lot (from the ledger)")
    override_reason = forms.CharField(
        max_length=300, required=False,
        label="Prescriber override reason (only for a dose above the usual range)")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, staff: Staff, protocol: protocols.Protocol, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.staff = staff
        choice = self.fields["source"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = self._lot_choices  # read when shown or validated, not before
        rule = protocol.dose
        if rule.basis == "fixed_mg":
            del self.fields["mg_per_kg"]
            if rule.options_mg:
                fixed = self.fields["fixed_mg"]
                assert isinstance(fixed, forms.TypedChoiceField)
                fixed.choices = [(mg, f"{mg} mg") for mg in rule.options_mg]
            else:
                self.fields["fixed_mg"] = forms.IntegerField(
                    label="Dose (mg)", min_value=rule.min_mg or 1, max_value=int(rule.max_mg))
            self.fields["fixed_mg"].required = True
            self.fields["fixed_mg"].initial = rule.default_mg
        else:
            del self.fields["fixed_mg"]
            self.fields["mg_per_kg"].required = True
            self.fields["mg_per_kg"].initial = rule.default_mg_per_kg
        if protocol.route == "iv":
            cosign.add_fields(self, "second_check", "Second check", required=True)
        # A prescriber approving a dose above the usual range on this device.
        cosign.add_fields(self, "override", "Prescriber approving", required=True)

    @cached_property
    def lots(self) -> dict[str, Lot]:
        """The lots on hand, read once and only when the form is shown or validated: the
        session page builds the form at every step, a dosed session never shows it
        (issue 17)."""
        return {lot.key: lot for lot in lots.on_hand(self.staff.clinic, self.protocol.drug)}

    def _lot_choices(self) -> list[tuple[str, str]]:
        today = self.staff.clinic.today()
        return [("", "Choose the lot")] + [
            (key, ("EXPIRED · " if lot.expired(today) else "") + lot.label())
            for key, lot in self.lots.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lot = self.lots.get(data.get("source") or "")
        if lot is not None:
            data["stock_item"], data["lot"], data["expiry"] = lot.item, lot.lot, lot.expiry
        return data

    @property
    def chosen_lot(self) -> Lot | None:
        """The lot the (valid) form names, for the preview."""
        return self.lots.get(getattr(self, "cleaned_data", {}).get("source") or "")

    def dose_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("mg_per_kg", "fixed_mg", "source", "override_reason")
                if n in self.fields]

    @property
    def second_check_fields(self) -> list[forms.BoundField]:
        return _prefixed(self, "second_check")

    @property
    def override_fields(self) -> list[forms.BoundField]:
        return _prefixed(self, "override")


def _prefixed(form: forms.Form, prefix: str) -> list[forms.BoundField]:
    """The co-signature fields `accounts.cosign.add_fields` put on the form."""
    return [form[f"{prefix}_{n}"] for n in ("username", "password", "code")
            if f"{prefix}_{n}" in form.fields]


class OverrideForm(forms.Form):
    """A hold override: the signed-in prescriber's reason, or a prescriber co-signing on
    the nurse's device."""

    reason = forms.CharField(max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cosign.add_fields(self, "cosign", "Prescriber", required=False)

    @property
    def cosign_fields(self) -> list[forms.BoundField]:
        return _prefixed(self, "cosign")


class ConfirmForm(forms.Form):
    """A step that cannot be undone asks for a tick first (works without JavaScript)."""

    confirm = forms.BooleanField(error_messages={"required": "Tick to confirm this step."})


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
    sedation_judgement = forms.CharField(
        max_length=300, required=False,
        label="Prescriber's judgement that sedation has resolved (only if MOAA/S is below 5)")
    confirm = forms.BooleanField(error_messages={"required": "Tick to confirm the discharge."},
                                 label="Confirm: discharge the patient now")
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(
        attrs={"rows": 2}))


class AmendForm(StaticBlank, forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Amendment")
    reason = forms.CharField(max_length=300)
