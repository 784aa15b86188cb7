"""Stock items: the shelf an admin sets up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action

from ..models import (
    Drug,
    Form,
    Schedule,
    StockItem,
    plain,
)
from ..ndc import clean_ndc
from ._common import (
    _decimal,
    _text,
)


@transaction.atomic
def create_stock_item(staff: Staff, *, drug: str, form: str, label: str = "",
                      concentration_mg_ml: Any = None, vial_ml: Any = None,
                      device_mg: Any = None, ndc: str = "",
                      schedule: str = Schedule.CIII,
                      request: HttpRequest | None = None) -> StockItem:
    staff.require(Perm.LEDGER_ADJUST)
    if drug not in Drug.values:
        raise ValidationError({"drug": f"Choose one of: {', '.join(Drug.values)}."})
    if form not in Form.values:
        raise ValidationError({"form": f"Choose one of: {', '.join(Form.values)}."})
    schedule = schedule or Schedule.CIII
    if schedule not in Schedule.values:
        raise ValidationError({"schedule": f"Choose one of: {', '.join(Schedule.values)}."})
    try:
        ndc = clean_ndc(ndc)
    except ValueError as exc:
        raise ValidationError({"ndc": str(exc)}) from None
    item = StockItem(clinic=staff.clinic, drug=drug, form=form, created_by=staff.user,
                     ndc=ndc, schedule=schedule)
    if form == Form.VIAL:
        if device_mg not in (None, ""):
            raise ValidationError({"device_mg": "Vials have a concentration, not mg per "
                                                "device."})
        if concentration_mg_ml in (None, ""):
            raise ValidationError({"concentration_mg_ml": "Give the concentration in mg/mL, "
                                                          "e.g. 10, 50 or 100."})
        conc = _decimal(concentration_mg_ml, "concentration_mg_ml")
        if not Decimal("0.1") <= conc <= Decimal(1000):
            raise ValidationError({"concentration_mg_ml": "Concentration must be between "
                                                          "0.1 and 1000 mg/mL."})
        item.concentration_mg_ml = conc
        if vial_ml not in (None, ""):
            size = _decimal(vial_ml, "vial_ml")
            if not Decimal("0.1") <= size <= Decimal(1000):
                raise ValidationError({"vial_ml": "Vial size must be between 0.1 and "
                                                  "1000 mL."})
            item.vial_ml = size
        default_label = (f"{Drug(drug).label} {plain(conc)} mg/mL"
                         + (f" ({plain(item.vial_ml)} mL vial)" if item.vial_ml else ""))
    else:
        if concentration_mg_ml not in (None, "") or vial_ml not in (None, ""):
            raise ValidationError({"concentration_mg_ml": "Nasal devices are counted by "
                                                          "device: give mg per device."})
        mg = _decimal(device_mg if device_mg not in (None, "") else 28, "device_mg")
        if not Decimal(1) <= mg <= Decimal(1000):
            raise ValidationError({"device_mg": "mg per device must be between 1 and 1000."})
        item.device_mg = mg
        default_label = f"{Drug(drug).label} nasal {plain(mg)} mg device"
    item.label = _text(label, "label", "", required=False, max_length=120) or default_label
    if StockItem.objects.filter(clinic=staff.clinic, label=item.label).exists():
        raise ValidationError({"label": f"{staff.clinic} already has a stock item called "
                                        f"{item.label!r}."})
    item.full_clean()
    item.save()
    record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, obj=item,
           detail={"label": item.label, "ndc": item.ndc, "schedule": item.schedule})
    return item
