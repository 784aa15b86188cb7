"""Small pages of issue 14 item 8: the end-of-induction decision on a course (prescribers)
and the clinic's esketamine label (admins). Thin over `induction_review` and
`label_variant`."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.clinical import induction_review as rule
from ketacare.clinical import protocols
from ketacare.form_errors import apply_errors

from .access import course_for
from .induction_review import record_induction_review
from .label_variant import set_esketamine_label


class InductionReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=list(rule.DECISIONS.items()), widget=forms.RadioSelect)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             label="What the review found")


class LabelForm(forms.Form):
    variant = forms.ChoiceField(choices=list(protocols.LABEL_VARIANTS.items()),
                                label="Esketamine label")


@requires(Perm.SIGN_ORDERS)
@require_POST
def induction_review(request: HttpRequest, course_id: str) -> HttpResponse:
    staff = staff_of(request)
    course = course_for(staff, course_id, write=True)
    form = InductionReviewForm(request.POST)
    if form.is_valid():
        try:
            record_induction_review(staff, course, form.cleaned_data["decision"],
                                    form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("course-detail", course_id=course.pk)
    return render(request, "treatment/induction_review_error.html",
                  {"course": course, "form": form}, status=400)


@requires(Perm.MANAGE_CLINIC)
@require_POST
def esketamine_label(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    form = LabelForm(request.POST)
    if form.is_valid():
        set_esketamine_label(staff, form.cleaned_data["variant"], request=request)
    return redirect("protocol-list")
