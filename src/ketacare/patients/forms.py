"""Forms for the patient pages. Field rules live in the models and actions; these only
shape input."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core import validators
from django.utils import timezone

from ketacare.clinical import eligibility
from ketacare.page_forms import StaticBlank

from .models import Condition, Diagnosis, Medication, Patient, PriorTreatment, Status, Weight

DATE = forms.DateInput(attrs={"type": "date"})


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth",
            "gender_identity", "pronouns", "email", "mobile", "escort_name", "escort_phone",
            "escort_relationship", "height_cm", "status",
        ]
        widgets = {"date_of_birth": DATE}
        labels = {"height_cm": "Height (cm)", "mrn": "MRN"}

    confirm_duplicate = forms.BooleanField(
        required=False, label="This is a different person: create the record anyway")

    # A browser cuts typed or pasted text at `maxlength` without a word; these fields are
    # checked on the server instead and say so (issue #14 item 10).
    LENGTH_CHECKED = ("mrn", "given_name", "family_name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.LENGTH_CHECKED:
            field = self.fields[name]
            field.widget.attrs.pop("maxlength", None)
            limit = getattr(field, "max_length", None)
            if not limit:
                continue
            field.help_text = field.help_text or f"Up to {limit} characters"
            message = (f"{field.label} is %(show_value)d characters; the limit is "
                       "%(limit_value)d. Shorten it: the record never keeps a cut copy.")
            field.validators = [
                *(v for v in field.validators
                  if not isinstance(v, validators.MaxLengthValidator)),
                validators.MaxLengthValidator(limit, message=message),
            ]

    def clean_date_of_birth(self) -> date:
        dob: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError("Date of birth cannot be in the future.")
        if today.year - dob.year > 120:
            raise forms.ValidationError("Date of birth is more than 120 years ago.")
        return dob


class PatientEditForm(PatientForm):
    confirm_duplicate = None  # type: ignore[assignment]  # asked only when creating
    reason = forms.CharField(
        max_length=300, required=False, help_text="Why this changed (kept with the version)"
    )


class WeightForm(StaticBlank, forms.ModelForm):
    class Meta:
        model = Weight
        fields = ["weight_kg", "measured_on"]
        widgets = {"measured_on": DATE}
        labels = {"weight_kg": "Weight (kg)"}
        # The measurement date is checked by actions.add_entry, for every adapter.


class DiagnosisForm(StaticBlank, forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = ["icd10_code", "description", "primary"]
        labels = {"icd10_code": "ICD-10-CM code"}
        help_texts = {"icd10_code": "e.g. F33.1 (MDD, recurrent, moderate), F43.10 (PTSD), "
                                    "F41.1 (GAD)"}


class PriorTreatmentForm(StaticBlank, forms.ModelForm):
    class Meta:
        model = PriorTreatment
        fields = ["kind", "name", "detail", "started_on", "ended_on", "adequate", "outcome"]
        widgets = {"started_on": DATE, "ended_on": DATE}
        labels = {"adequate": "Adequate dose and duration"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("started_on"), data.get("ended_on")
        if start and end and end < start:
            self.add_error("ended_on", "End date is before the start date.")
        return data


class MedicationForm(StaticBlank, forms.ModelForm):
    class Meta:
        model = Medication
        fields = ["name", "dose", "category", "started_on"]
        widgets = {"started_on": DATE}


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class StopForm(forms.Form):
    stopped_on = forms.DateField(widget=DATE)


class ListFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name, MRN or date of birth")
    condition = forms.ChoiceField(
        required=False, choices=[("", "Any condition"), *Condition.choices]
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)


YES_NO = [("no", "No"), ("yes", "Yes")]


class ScreeningForm(forms.Form):
    """One yes/no question per criterion of the route, plus measured blood pressure."""

    sbp_mmhg = forms.IntegerField(
        label="Systolic BP (mmHg)", required=False, min_value=50, max_value=300
    )
    dbp_mmhg = forms.IntegerField(
        label="Diastolic BP (mmHg)", required=False, min_value=20, max_value=200
    )
    # Issue 14 item 5: the esketamine label's embryo-fetal warning (pregnancy test for a
    # person who could become pregnant: [clinic default]); item 6: alcohol is a CNS
    # depressant the label's interaction section names.
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test (for a patient who could become pregnant)",
        choices=list(eligibility.PREGNANCY_TESTS.items()), widget=forms.RadioSelect,
    )
    alcohol_use = forms.ChoiceField(
        label="Does the patient currently drink alcohol?", choices=YES_NO,
        widget=forms.RadioSelect,
    )

    def __init__(self, route: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.route = route
        self.criteria = eligibility.criteria_for(route)
        for criterion in self.criteria:
            self.fields[criterion.code] = forms.ChoiceField(
                label=criterion.question, choices=YES_NO, widget=forms.RadioSelect,
                help_text=criterion.help,
            )

    def facts(self, age_years: int) -> eligibility.ScreeningFacts:
        data = self.cleaned_data
        return eligibility.ScreeningFacts(
            age_years=age_years, sbp_mmhg=data["sbp_mmhg"], dbp_mmhg=data["dbp_mmhg"],
            pregnancy_test=data["pregnancy_test"], alcohol_use=data["alcohol_use"] == "yes",
        )

    def answers(self) -> dict[str, bool]:
        return {c.code: self.cleaned_data[c.code] == "yes" for c in self.criteria}

    def question_rows(self) -> list[tuple[eligibility.Criterion, forms.BoundField]]:
        return [(c, self[c.code]) for c in self.criteria]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approved", "Approve"), ("declined", "Decline")],
                                 widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
