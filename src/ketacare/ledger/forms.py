"""Forms for the ledger pages. The rules (witness, overdraw, lots, ...) live in the
actions; these only shape input. Every entry form has one amount field, `quantity`,
labelled in the item's unit (mL or devices)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from ketacare.accounts import cosign
from ketacare.accounts.models import Clinic

from .models import CountKind, Drug, Form, Schedule, StockItem, WasteMethod

DATE = forms.DateInput(attrs={"type": "date"})
STEP_ML = forms.NumberInput(attrs={"step": "0.001", "inputmode": "decimal"})
STEP_ONE = forms.NumberInput(attrs={"step": "1", "inputmode": "numeric"})


class StockItemForm(forms.Form):
    drug = forms.ChoiceField(choices=Drug.choices)
    form = forms.ChoiceField(choices=Form.choices)
    concentration_mg_ml = forms.DecimalField(
        label="Concentration (mg/mL)", required=False, max_digits=8, decimal_places=3,
        help_text="Vials: e.g. 10, 50 or 100", widget=STEP_ML,
    )
    vial_ml = forms.DecimalField(label="Vial size (mL)", required=False, max_digits=8,
                                 decimal_places=3, widget=STEP_ML)
    device_mg = forms.DecimalField(label="mg per device", required=False, max_digits=8,
                                   decimal_places=3, help_text="Nasal devices: 28",
                                   widget=STEP_ML)
    label = forms.CharField(max_length=120, required=False,
                            help_text="Left blank: made from drug and strength")
    ndc = forms.CharField(label="NDC", max_length=13, required=False,
                          help_text="Where known, as on the package, e.g. 50090-5523-0")
    schedule = forms.ChoiceField(label="DEA schedule", choices=Schedule.choices,
                                 initial=Schedule.CIII, required=False,
                                 help_text="Ketamine and esketamine: Schedule III")


class EntryForm(forms.Form):
    """Base of the entry forms: the amount field in the item's unit."""

    def __init__(self, item: StockItem, *args: Any, **kwargs: Any) -> None:
        self.item = item
        super().__init__(*args, **kwargs)
        if "quantity" in self.fields:
            self.fields["quantity"] = self.quantity_field(item)

    def quantity_field(self, item: StockItem) -> forms.Field:
        if item.is_device:
            return forms.IntegerField(label="Devices", min_value=1, widget=STEP_ONE)
        return forms.DecimalField(label="Volume (mL)", min_value=Decimal("0.001"),
                                  max_digits=12, decimal_places=3, widget=STEP_ML)

    def amount(self, name: str = "quantity") -> dict[str, Any]:
        """The amount as the actions take it: `quantity_ml=` or `devices=`."""
        value = self.cleaned_data.get(name)
        return {"devices": value} if self.item.is_device else {"quantity_ml": value}


class ReceiveForm(EntryForm):
    quantity = forms.DecimalField()
    vials = forms.IntegerField(min_value=1, required=False, widget=STEP_ONE,
                               label="Vials / packs")
    lot = forms.CharField(max_length=60)
    expiry = forms.DateField(widget=DATE)
    supplier = forms.CharField(max_length=120)
    invoice = forms.CharField(max_length=60, label="Invoice / packing slip")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, item: StockItem, *args: Any, **kwargs: Any) -> None:
        super().__init__(item, *args, **kwargs)
        if item.vial_ml:
            # The volume follows from the vial count when it is left blank.
            self.fields["quantity"].required = False
            self.fields["quantity"].help_text = (
                f"Blank: vials x {item.vial_ml.normalize():f} mL")


class GiveForm(EntryForm):
    """Dispense and administer: the patient is picked by MRN, never by name in a URL."""

    quantity = forms.DecimalField()
    patient_mrn = forms.CharField(label="Patient MRN", max_length=40, required=False)
    session_ref = forms.IntegerField(label="Session no.", min_value=1, required=False,
                                     widget=STEP_ONE)
    lot = forms.CharField(max_length=60)
    vials = forms.IntegerField(label="Vials opened", min_value=0, required=False,
                               widget=STEP_ONE)
    note = forms.CharField(max_length=300, required=False)


class WasteForm(EntryForm):
    quantity = forms.DecimalField()
    method = forms.ChoiceField(choices=[("", "Choose")] + WasteMethod.choices, required=False)
    lot = forms.CharField(max_length=60, required=False)
    patient_mrn = forms.CharField(label="Patient MRN", max_length=40, required=False)
    session_ref = forms.IntegerField(label="Session no.", min_value=1, required=False,
                                     widget=STEP_ONE)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, item: StockItem, *args: Any, **kwargs: Any) -> None:
        super().__init__(item, *args, **kwargs)
        # The witness signs on this device with their own password (accounts.cosign).
        cosign.add_fields(self, "witness", "Witness", required=True)


class TransferForm(EntryForm):
    direction = forms.ChoiceField(choices=[("out", "Out to another registrant"),
                                           ("in", "In from another registrant")])
    quantity = forms.DecimalField()
    counterparty = forms.CharField(max_length=160, label="Other registrant")
    lot = forms.CharField(max_length=60, required=False)
    expiry = forms.DateField(widget=DATE, required=False, help_text="Transfers in")
    invoice = forms.CharField(max_length=60, required=False, label="Invoice / record no.")
    note = forms.CharField(max_length=300, required=False)


class AdjustForm(EntryForm):
    quantity = forms.DecimalField()
    reason = forms.CharField(max_length=300)

    def quantity_field(self, item: StockItem) -> forms.Field:
        # Signed: negative takes stock away.
        if item.is_device:
            return forms.IntegerField(label="Change (devices, + or -)", widget=STEP_ONE)
        return forms.DecimalField(label="Change (mL, + or -)", max_digits=12,
                                  decimal_places=3, widget=STEP_ML)


class CountForm(EntryForm):
    counted = forms.DecimalField()
    count_kind = forms.ChoiceField(choices=CountKind.choices, label="Kind of count")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, item: StockItem, *args: Any, **kwargs: Any) -> None:
        super().__init__(item, *args, **kwargs)
        if item.is_device:
            self.fields["counted"] = forms.IntegerField(label="Devices counted", min_value=0,
                                                        widget=STEP_ONE)
        else:
            self.fields["counted"] = forms.DecimalField(
                label="Volume counted (mL)", min_value=0, max_digits=12, decimal_places=3,
                widget=STEP_ML)
        cosign.add_fields(self, "witness", "Witness", required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=300)


class ReportForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To", widget=DATE)
    item = forms.ModelChoiceField(queryset=StockItem.objects.none(), required=False,
                                  empty_label="All stock items", label="Stock item")

    def __init__(self, clinic: Clinic, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = StockItem.objects.filter(clinic=clinic)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        if start and end and (end - start).days > 3 * 366:
            self.add_error("end", "Choose a period of at most three years.")
        return data
