"""Protocol pages for clinic admins: the clinic's protocols, copy one, edit a copy.
Edits are validated by the clinical core; a running course keeps its own version."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of

from . import actions
from .access import protocol_for
from .models import ClinicProtocol


class ProtocolForm(forms.Form):
    protocol_json = forms.CharField(label="Protocol (JSON)", widget=forms.Textarea(
        attrs={"rows": 28, "spellcheck": "false", "class": "code"}))

    def clean_protocol_json(self) -> dict[str, object]:
        try:
            value = json.loads(self.cleaned_data["protocol_json"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} at line {exc.lineno}, "
                                        f"column {exc.colno}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("The protocol must be a JSON object.")
        return value


class CopyForm(forms.Form):
    key = forms.SlugField(max_length=60, label="New id", help_text="e.g. iv-induction-ours")
    name = forms.CharField(max_length=120)


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET"])
def protocol_list(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    protocols = actions.ensure_default_protocols(staff.clinic)
    rows = [(p, p.protocol()) for p in protocols]
    return render(request, "treatment/protocol_list.html",
                  {"rows": rows, "can_manage": staff.can(Perm.MANAGE_CLINIC)})


@requires(Perm.MANAGE_CLINIC)
@require_http_methods(["GET", "POST"])
def protocol_edit(request: HttpRequest, protocol_id: str) -> HttpResponse:
    staff = staff_of(request)
    existing = protocol_for(staff, protocol_id)
    form = ProtocolForm(request.POST or None,
                        initial={"protocol_json": json.dumps(existing.data, indent=2)})
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_protocol(staff, form.cleaned_data["protocol_json"], existing=existing,
                                  request=request)
        except ValidationError as exc:
            form.add_error("protocol_json", "; ".join(f"{k}: {' '.join(v)}" for k, v in
                                             exc.message_dict.items())
                           if hasattr(exc, "error_dict") else exc.messages)
        else:
            return redirect("protocol-list")
    return render(request, "treatment/protocol_edit.html",
                  {"protocol": existing, "form": form, "copy_form": CopyForm()})


@requires(Perm.MANAGE_CLINIC)
@require_http_methods(["POST"])
def protocol_copy(request: HttpRequest, protocol_id: str) -> HttpResponse:
    staff = staff_of(request)
    source = protocol_for(staff, protocol_id)
    form = CopyForm(request.POST)
    if form.is_valid():
        data = source.protocol().copy_as(form.cleaned_data["key"],
                                         form.cleaned_data["name"]).as_dict()
        try:
            copy = actions.save_protocol(staff, data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            ClinicProtocol.objects.filter(pk=copy.pk).update(based_on=source.key)
            return redirect("protocol-edit", protocol_id=copy.pk)
    return render(request, "treatment/protocol_edit.html", {
        "protocol": source, "copy_form": form,
        "form": ProtocolForm(initial={"protocol_json": json.dumps(source.data, indent=2)})},
        status=400)
