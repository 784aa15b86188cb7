"""Ledger pages: thin over `access` (clinic-scoped reads) and `actions` (writes).

Patients are picked by MRN in a POST body; no URL here carries a patient identifier.
Report periods travel in the query string: dates and a stock item id identify no one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires, staff_of
from ketacare.audit.log import patient_ids, record
from ketacare.audit.models import PATIENT_IDS, Action
from ketacare.form_errors import apply_errors
from ketacare.patients.access import patients_of
from ketacare.patients.models import Patient

from . import actions, reports
from .access import entry_for, item_for, stock_of
from .forms import (
    AdjustForm,
    CountForm,
    EntryForm,
    GiveForm,
    ReceiveForm,
    ReportForm,
    ReverseForm,
    StockItemForm,
    TransferForm,
    WasteForm,
)
from .models import Kind, LedgerEntry, StockItem

PAGE_SIZE = 100


class EntryKind:
    def __init__(self, form: type[EntryForm], perm: Perm, title: str) -> None:
        self.form, self.perm, self.title = form, perm, title


# The order is the order of the forms on the page.
KINDS: dict[str, EntryKind] = {
    "receive": EntryKind(ReceiveForm, Perm.LEDGER_RECORD, "Receive stock"),
    "dispense": EntryKind(GiveForm, Perm.LEDGER_RECORD, "Dispense to a session"),
    "administer": EntryKind(GiveForm, Perm.LEDGER_RECORD, "Administer to a patient"),
    "waste": EntryKind(WasteForm, Perm.LEDGER_RECORD, "Waste (witnessed)"),
    "count": EntryKind(CountForm, Perm.LEDGER_RECORD, "Inventory count"),
    "transfer": EntryKind(TransferForm, Perm.LEDGER_ADJUST, "Transfer in or out"),
    "adjust": EntryKind(AdjustForm, Perm.LEDGER_ADJUST, "Adjustment"),
}
# Action error fields that the forms call differently.
FIELD_NAMES = {"quantity_ml": "quantity", "devices": "quantity", "counted_ml": "counted",
               "counted_devices": "counted", "patient": "patient_mrn",
               "witness": "witness_username"}


def _form(kind: str, item: StockItem, staff: Staff, data: Any = None) -> EntryForm:
    return KINDS[kind].form(item, data, prefix=kind)


# ---------------------------------------------------------------------------- home

def _render_home(request: HttpRequest, form: StockItemForm | None = None,
                 status: int = 200) -> HttpResponse:
    staff = staff_of(request)
    rows = []
    for item in stock_of(staff):
        last = actions.last_count(item)
        rows.append({
            "item": item, "balance": actions.balance(item), "last_count": last,
            "flagged": bool(last and last.discrepancy),
        })
    return render(request, "ledger/home.html", {
        "rows": rows, "flagged": [r for r in rows if r["flagged"]],
        "form": form or StockItemForm(), "can_adjust": staff.can(Perm.LEDGER_ADJUST),
    }, status=status)


@requires(Perm.LEDGER_VIEW)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _render_home(request)


@requires(Perm.LEDGER_ADJUST)
@require_POST
def item_create(request: HttpRequest) -> HttpResponse:
    form = StockItemForm(request.POST)
    if form.is_valid():
        try:
            item = actions.create_stock_item(staff_of(request), request=request,
                                             **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, field_for=FIELD_NAMES.get)
        else:
            messages.success(request, f"Stock item {item} added.")
            return redirect("ledger-item", item_id=item.pk)
    return _render_home(request, form, status=400)


# ---------------------------------------------------------------------------- item

def _render_item(request: HttpRequest, item: StockItem, bound: dict[str, BaseForm] | None = None,
                 reverse_errors: dict[int, list[str]] | None = None,
                 status: int = 200) -> HttpResponse:
    staff = staff_of(request)
    bound = bound or {}
    forms = [
        (kind, spec.title, bound.get(kind) or _form(kind, item, staff))
        for kind, spec in KINDS.items() if staff.can(spec.perm)
    ]
    entries = (LedgerEntry.objects.filter(stock_item=item)
               .select_related("patient", "recorded_by", "witness", "reverses", "reversed_by")
               .order_by("-seq"))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    last = actions.last_count(item)
    # The page shows patient MRNs: reading it is a read of patient data.
    record(Action.VIEW, request=request, obj=item, detail={
        "page": page.number, PATIENT_IDS: patient_ids(e.patient_id for e in page)})
    return render(request, "ledger/item.html", {
        "item": item, "balance": actions.balance(item), "page": page, "forms": forms,
        "last_count": last, "flagged": bool(last and last.discrepancy),
        "can_adjust": staff.can(Perm.LEDGER_ADJUST),
        "reverse_errors": reverse_errors or {},
        "not_reversible": (Kind.REVERSAL, Kind.COUNT),
    }, status=status)


@requires(Perm.LEDGER_VIEW)
@require_GET
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    return _render_item(request, item_for(staff_of(request), item_id))


def _patient(staff: Staff, form: BaseForm) -> Patient | None:
    mrn = (form.cleaned_data.get("patient_mrn") or "").strip()
    if not mrn:
        return None
    patient = patients_of(staff).filter(mrn__iexact=mrn).first()
    if patient is None:
        raise ValidationError({"patient_mrn": f"No patient with MRN {mrn} in this clinic."})
    return patient


def _post_entry(kind: str, staff: Staff, item: StockItem, form: EntryForm,
                request: HttpRequest) -> LedgerEntry:
    data = form.cleaned_data
    common = {"request": request, "note": data.get("note", "")}
    if kind == "receive":
        return actions.receive(staff, item, **form.amount(), vials=data["vials"],
                               lot=data["lot"], expiry=data["expiry"],
                               supplier=data["supplier"], invoice=data["invoice"], **common)
    if kind in ("dispense", "administer"):
        give = actions.dispense if kind == "dispense" else actions.administer
        return give(staff, item, patient=_patient(staff, form),
                    session_ref=data["session_ref"], lot=data["lot"], vials=data["vials"],
                    **form.amount(), **common)
    if kind == "waste":
        witness = cosign.from_form(form, staff, cosign.Purpose.WASTE_WITNESS, "witness",
                                   request=request)
        return actions.waste(staff, item, witness=witness, method=data["method"],
                             lot=data["lot"], patient=_patient(staff, form),
                             session_ref=data["session_ref"], **form.amount(), **common)
    if kind == "transfer":
        return actions.transfer(staff, item, direction=data["direction"],
                                counterparty=data["counterparty"], lot=data["lot"],
                                expiry=data["expiry"], invoice=data["invoice"],
                                **form.amount(), **common)
    if kind == "adjust":
        return actions.adjust(staff, item, reason=data["reason"], **form.amount(), **common)
    counted = form.amount("counted")
    witness = cosign.from_form(form, staff, cosign.Purpose.COUNT_WITNESS, "witness",
                               request=request)
    return actions.count(staff, item, kind=data["count_kind"], witness=witness,
                         counted_ml=counted.get("quantity_ml"),
                         counted_devices=counted.get("devices"), **common)


def _done(entry: LedgerEntry) -> str:
    item = entry.stock_item
    if entry.kind == Kind.COUNT:
        found = f"Count recorded: {item.text(entry.counted)} on the shelf"
        if entry.discrepancy:
            return (f"{found}, but the balance is {item.text(entry.balance_after)}: "
                    f"a discrepancy of {item.text(entry.discrepancy)}.")
        return f"{found}, matching the balance."
    return (f"{entry.get_kind_display()} {item.text(abs(entry.delta))} recorded. "
            f"Balance now {item.text(entry.balance_after)}.")


@requires(Perm.LEDGER_RECORD)
@require_POST
def entry_record(request: HttpRequest, item_id: int, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("No such entry type")
    staff = staff_of(request)
    item = item_for(staff, item_id)
    staff.require(KINDS[kind].perm)
    form = _form(kind, item, staff, request.POST)
    if form.is_valid():
        try:
            entry = _post_entry(kind, staff, item, form, request)
        except ValidationError as exc:
            apply_errors(form, exc, field_for=FIELD_NAMES.get)
        else:
            if entry.discrepancy:
                messages.warning(request, _done(entry))
            else:
                messages.success(request, _done(entry))
            return redirect("ledger-item", item_id=item.pk)
    return _render_item(request, item, {kind: form}, status=400)


@requires(Perm.LEDGER_ADJUST)
@require_POST
def entry_reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    staff = staff_of(request)
    entry = entry_for(staff, entry_id, write=True)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = actions.reverse(staff, entry, form.cleaned_data["reason"],
                                       request=request)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"Entry #{entry.seq} reversed. Balance now "
                                      f"{entry.stock_item.text(reversal.balance_after)}.")
            return redirect("ledger-item", item_id=entry.stock_item_id)
    else:
        errors = ["Say why this entry is being reversed."]
    return _render_item(request, entry.stock_item, reverse_errors={entry.pk: errors},
                        status=400)


# ---------------------------------------------------------------------------- reports

def _check_item(request: HttpRequest, data: Any) -> None:
    """Another clinic's stock item in a report link is a 404, as everywhere else."""
    if data.get("item"):
        item_for(staff_of(request), data["item"])


def _report_form(request: HttpRequest) -> ReportForm:
    staff = staff_of(request)
    _check_item(request, request.GET)
    if "start" in request.GET or "end" in request.GET:
        return ReportForm(staff.clinic, request.GET)
    today = actions.clinic_today(staff)
    return ReportForm(staff.clinic, {"start": today.replace(day=1).isoformat(),
                                     "end": today.isoformat()})


def _build(request: HttpRequest, form: ReportForm) -> reports.Report:
    staff = staff_of(request)
    data = form.cleaned_data
    return reports.build(staff.clinic, data["start"], data["end"], data["item"],
                         generated_by=staff.user.get_full_name() or staff.user.get_username())


@requires(Perm.LEDGER_VIEW)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":  # the form posted: the same period, as a plain link
        _check_item(request, request.POST)
        form = ReportForm(staff_of(request).clinic, request.POST)
        if form.is_valid():
            return redirect(f"{reverse('ledger-report')}?{_query(form)}")
    else:
        form = _report_form(request)
    built = _build(request, form) if form.is_valid() else None
    return render(request, "ledger/report.html", {
        "form": form, "report": built, "query": _query(form) if built else "",
    }, status=200 if form.is_valid() else 400)


def _query(form: ReportForm) -> str:
    data = form.cleaned_data
    query: dict[str, str] = {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
    if data["item"] is not None:
        query["item"] = str(data["item"].pk)
    return urlencode(query)


def _download(request: HttpRequest, extension: str) -> HttpResponse:
    _check_item(request, request.GET)
    form = ReportForm(staff_of(request).clinic, request.GET)
    if not form.is_valid():
        return render(request, "ledger/report.html", {"form": form, "report": None},
                      status=400)
    built = _build(request, form)
    if extension == "csv":
        response = HttpResponse(reports.to_csv(built), content_type="text/csv; charset=utf-8")
    else:
        from .report_pdf import to_pdf  # fpdf2 loaded for a PDF only

        response = HttpResponse(to_pdf(built), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{reports.filename(built, extension)}"'
    record(Action.EXPORT, request=request, object_type="ledger_report", detail={
        "format": extension, "start": _iso(form.cleaned_data["start"]),
        "end": _iso(form.cleaned_data["end"]),
        "stock_item": built.items[0].item.pk if form.cleaned_data["item"] else None,
        "entries": sum(len(p.entries) for p in built.items),
        PATIENT_IDS: _patient_ids(built),
    })
    return response


def _patient_ids(built: reports.Report) -> list[str]:
    return patient_ids(e.patient_id for p in built.items for e in p.entries)


def _iso(day: date) -> str:
    return day.isoformat()


@requires(Perm.LEDGER_VIEW)
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv")


@requires(Perm.LEDGER_VIEW)
@require_GET
def report_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, "pdf")
