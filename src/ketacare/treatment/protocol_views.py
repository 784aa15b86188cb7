"""Protocol pages for clinic admins: the clinic's protocols, copy one, edit it as a form,
import and export JSON (to share protocols between clinics). Every save goes through
`actions.save_protocol`, which validates with the clinical core, writes and audits in one
transaction; a running course keeps its own version. Pages that only show never write."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires, staff_of
from ketacare.clinical import protocols
from ketacare.form_errors import apply_errors

from . import actions
from .access import protocol_for
from .models import ClinicProtocol
from .protocol_form import ProtocolFieldsForm


class ImportForm(forms.Form):
    protocol_json = forms.CharField(
        label="Protocol (JSON)", help_text="As exported from KetaCare (any clinic).",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}))

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


def _list(request: HttpRequest, import_form: ImportForm | None = None,
          status: int = 200) -> HttpResponse:
    staff = staff_of(request)
    clinic_rows = list(ClinicProtocol.objects.filter(clinic=staff.clinic, active=True))
    have = {cp.key for cp in ClinicProtocol.objects.filter(clinic=staff.clinic)}
    shipped = [p for key, p in protocols.DEFAULT_PROTOCOLS.items() if key not in have]
    return render(request, "treatment/protocol_list.html", {
        "rows": [(cp, cp.protocol()) for cp in clinic_rows], "shipped": shipped,
        "can_manage": staff.can(Perm.MANAGE_CLINIC),
        "import_form": import_form or ImportForm()}, status=status)


@requires(Perm.VIEW_CHART)
@require_GET
def protocol_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@requires(Perm.MANAGE_CLINIC)
@require_POST
def protocol_adopt(request: HttpRequest, key: str) -> HttpResponse:
    """Start using a shipped protocol in this clinic (an audited copy)."""
    staff = staff_of(request)
    shipped = protocols.DEFAULT_PROTOCOLS.get(key)
    if shipped is None:
        return _list(request, status=404)
    try:
        saved = actions.save_protocol(staff, shipped.as_dict(), based_on=key, request=request)
    except ValidationError:
        return redirect("protocol-list")  # already adopted (e.g. a second click)
    return redirect("protocol-edit", protocol_id=saved.pk)


@requires(Perm.MANAGE_CLINIC)
@require_POST
def protocol_import(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    form = ImportForm(request.POST)
    if form.is_valid():
        try:
            saved = actions.save_protocol(staff, form.cleaned_data["protocol_json"],
                                          request=request)
        except ValidationError as exc:
            apply_errors(form, exc, field_for=lambda key: "protocol_json",
                         default="protocol_json")
        else:
            return redirect("protocol-edit", protocol_id=saved.pk)
    return _list(request, form, status=400)


@requires(Perm.MANAGE_CLINIC)
@require_GET
def protocol_export(request: HttpRequest, protocol_id: str) -> HttpResponse:
    existing = protocol_for(staff_of(request), protocol_id)
    response = HttpResponse(json.dumps(existing.data, indent=2) + "\n",
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{existing.key}.json"'
    return response


def _render_edit(request: HttpRequest, existing: ClinicProtocol, form: ProtocolFieldsForm,
                 copy_form: CopyForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "treatment/protocol_edit.html", {
        "protocol": existing, "form": form, "copy_form": copy_form or CopyForm(),
        "core": existing.protocol()}, status=status)


def _save_fields(staff: Staff, request: HttpRequest, existing: ClinicProtocol,
                 form: ProtocolFieldsForm) -> bool:
    if not form.is_valid():
        return False
    data = form.protocol_data()
    if form.errors:
        return False
    try:
        actions.save_protocol(staff, data, existing=existing, request=request)
    except ValidationError as exc:
        apply_errors(form, exc, field_for=form.field_for, label_unplaced=True)
        return False
    return True


@requires(Perm.MANAGE_CLINIC)
@require_http_methods(["GET", "POST"])
def protocol_edit(request: HttpRequest, protocol_id: str) -> HttpResponse:
    staff = staff_of(request)
    existing = protocol_for(staff, protocol_id)
    form = ProtocolFieldsForm(existing.data, request.POST or None)
    if request.method == "POST":
        if _save_fields(staff, request, existing, form):
            return redirect("protocol-list")
        return _render_edit(request, existing, form, status=400)
    return _render_edit(request, existing, form)


@requires(Perm.MANAGE_CLINIC)
@require_POST
def protocol_copy(request: HttpRequest, protocol_id: str) -> HttpResponse:
    staff = staff_of(request)
    source = protocol_for(staff, protocol_id)
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            data = source.protocol().copy_as(form.cleaned_data["key"],
                                             form.cleaned_data["name"]).as_dict()
            copy = actions.save_protocol(staff, data, based_on=source.key, request=request)
        except protocols.ProtocolError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            apply_errors(form, exc, field_for={"id": "key"}.get, label_unplaced=True)
        else:
            return redirect("protocol-edit", protocol_id=copy.pk)
    return _render_edit(request, source, ProtocolFieldsForm(source.data), form, status=400)
