"""The controlled-substance ledger: stock items per clinic and an append-only list of
entries against each.

Quantities are signed deltas in the item's stock unit: mL for vials (`delta_ml`,
`balance_after_ml`), whole devices for nasal devices (`delta_devices`,
`balance_after_devices`); the other pair is null. mg is always derived (mL x mg/mL, or
devices x mg per device), never stored, so it can never disagree with the volume.

Entries are never changed or removed: `save` on an existing entry, `delete`, and queryset
`update`/`delete` raise, and the database refuses UPDATE (and DELETE on PostgreSQL) by
trigger (migration 0002). A mistake is corrected by a reversal, which posts the opposite
delta with a reason and points at the entry it cancels.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.accounts.models import Clinic

ML = Decimal("0.001")  # mL are kept to the microlitre


def plain(value: Decimal | int) -> str:
    """A decimal without trailing zeros or exponent: 10.000 -> "10", 0.700 -> "0.7"."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Drug(models.TextChoices):
    RACEMIC_KETAMINE = "racemic_ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine"


class Form(models.TextChoices):
    VIAL = "vial", "Vial (mL)"
    NASAL_DEVICE = "nasal_device", "Nasal spray device"


class Schedule(models.TextChoices):
    """DEA controlled-substance schedules. Ketamine and esketamine are Schedule III
    (21 CFR 1308.13(c)); the others are for clinics that stock other controlled drugs."""

    CII = "CII", "Schedule II"
    CIII = "CIII", "Schedule III"
    CIV = "CIV", "Schedule IV"
    CV = "CV", "Schedule V"


class Kind(models.TextChoices):
    RECEIVE = "receive", "Received"
    DISPENSE = "dispense", "Dispensed"
    ADMINISTER = "administer", "Administered"
    WASTE = "waste", "Wasted"
    TRANSFER_OUT = "transfer_out", "Transferred out"
    TRANSFER_IN = "transfer_in", "Transferred in"
    ADJUSTMENT = "adjustment", "Adjustment"
    REVERSAL = "reversal", "Reversal"
    COUNT = "count", "Inventory count"


class CountKind(models.TextChoices):
    PERIODIC = "periodic", "Periodic count"
    BIENNIAL = "biennial", "Biennial inventory"


class WasteMethod(models.TextChoices):
    DENATURANT = "denaturant", "Drug disposal container (denaturant)"
    REVERSE_DISTRIBUTOR = "reverse_distributor", "Reverse distributor"
    OTHER = "other", "Other (describe in note)"


class StockItem(models.Model):
    """One drug at one strength in one clinic: the unit a balance is kept for."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="stock_items")
    drug = models.CharField(max_length=20, choices=Drug.choices)
    form = models.CharField(max_length=20, choices=Form.choices)
    concentration_mg_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3, null=True, blank=True
    )
    vial_ml = models.DecimalField(
        "vial size (mL)", max_digits=8, decimal_places=3, null=True, blank=True,
        help_text="Lets a receipt be entered as a number of vials.",
    )
    device_mg = models.DecimalField(
        "mg per device", max_digits=8, decimal_places=3, null=True, blank=True
    )
    label = models.CharField(max_length=120)
    ndc = models.CharField("NDC", max_length=13, blank=True,
                           help_text="National Drug Code as on the package, e.g. 50090-5523-0.")
    schedule = models.CharField("DEA schedule", max_length=4, choices=Schedule.choices,
                                default=Schedule.CIII)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["drug", "form", "concentration_mg_ml", "device_mg", "label"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "label"], name="stock_label_unique"),
            models.CheckConstraint(
                name="stock_strength_matches_form",
                condition=(
                    Q(form=Form.VIAL, concentration_mg_ml__gt=0, device_mg__isnull=True)
                    | Q(form=Form.NASAL_DEVICE, device_mg__gt=0,
                        concentration_mg_ml__isnull=True, vial_ml__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_device(self) -> bool:
        return self.form == Form.NASAL_DEVICE

    @property
    def unit(self) -> str:
        """The stock unit: the suffix of the entry columns that hold this item's amounts."""
        return "devices" if self.is_device else "ml"

    @property
    def unit_label(self) -> str:
        return "devices" if self.is_device else "mL"

    @property
    def mg_per_unit(self) -> Decimal:
        value = self.device_mg if self.is_device else self.concentration_mg_ml
        assert value is not None  # the check constraint guarantees it
        return value

    def text(self, amount: Decimal | int | None) -> str:
        """An amount in this item's unit, with its mg: "0.7 mL (35 mg)"."""
        if amount is None:
            return ""
        value = Decimal(amount)
        unit = "device" if self.is_device and abs(value) == 1 else self.unit_label
        return f"{plain(value)} {unit} ({plain(value * self.mg_per_unit)} mg)"

    @property
    def strength(self) -> str:
        if self.is_device:
            return f"{plain(self.mg_per_unit)} mg per device"
        return f"{plain(self.mg_per_unit)} mg/mL"


class AppendOnlyQuerySet(models.QuerySet["LedgerEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableEntry("Ledger entries are never changed; post a reversal instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableEntry("Ledger entries are never deleted; post a reversal instead.")


class ImmutableEntry(Exception):
    """An attempt to change or remove a ledger entry."""


class LedgerEntry(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    stock_item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="entries")
    # 1, 2, 3, ... per item: unique, so two writers that both read the same balance cannot
    # both post (the second fails) even where row locks are not available.
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delta_ml = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    balance_after_ml = models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True
    )
    delta_devices = models.IntegerField(null=True, blank=True)
    balance_after_devices = models.IntegerField(null=True, blank=True)
    # Counts only: what was found on the shelf. The balance is not changed by a count.
    counted_ml = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    counted_devices = models.IntegerField(null=True, blank=True)
    count_kind = models.CharField(max_length=10, choices=CountKind.choices, blank=True)
    vials = models.PositiveIntegerField(null=True, blank=True)
    lot = models.CharField(max_length=60, blank=True)
    expiry = models.DateField(null=True, blank=True)
    supplier = models.CharField(max_length=120, blank=True)
    invoice = models.CharField(max_length=60, blank=True)
    counterparty = models.CharField(
        max_length=160, blank=True, help_text="Transfers: the other registrant."
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The treatment session; a foreign key will replace it once sessions exist.
    session_ref = models.BigIntegerField(null=True, blank=True)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    method = models.CharField(max_length=30, choices=WasteMethod.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # HMAC chain per stock item (ledger/integrity.py; `ketacare ledger verify`).
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["stock_item", "seq"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["stock_item", "seq"], name="ledger_seq_unique"),
            models.CheckConstraint(
                name="ledger_one_unit",
                condition=(
                    Q(delta_ml__isnull=False, balance_after_ml__isnull=False,
                      delta_devices__isnull=True, balance_after_devices__isnull=True)
                    | Q(delta_ml__isnull=True, balance_after_ml__isnull=True,
                        delta_devices__isnull=False, balance_after_devices__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="ledger_balance_not_negative",
                # Spelled with IS NULL: a NULL comparison would let the check pass.
                condition=(
                    (Q(balance_after_ml__isnull=True) | Q(balance_after_ml__gte=0))
                    & (Q(balance_after_devices__isnull=True) | Q(balance_after_devices__gte=0))
                    & (Q(counted_ml__isnull=True) | Q(counted_ml__gte=0))
                    & (Q(counted_devices__isnull=True) | Q(counted_devices__gte=0))
                ),
            ),
            models.CheckConstraint(
                name="ledger_waste_witnessed",
                condition=~Q(kind="waste") | Q(witness__isnull=False),
            ),
            models.CheckConstraint(
                name="ledger_witness_not_recorder",
                condition=Q(witness__isnull=True) | ~Q(witness=models.F("recorded_by")),
            ),
        ]
        indexes = [models.Index(fields=["clinic", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.seq} of {self.stock_item_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableEntry("Ledger entries are never changed; post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableEntry("Ledger entries are never deleted; post a reversal instead.")

    # Unit-independent views of the amounts, in the item's stock unit.
    @property
    def delta(self) -> Decimal:
        value = self.delta_devices if self.delta_devices is not None else self.delta_ml
        return Decimal(value or 0)

    @property
    def balance_after(self) -> Decimal:
        value = (self.balance_after_devices if self.balance_after_devices is not None
                 else self.balance_after_ml)
        return Decimal(value or 0)

    @property
    def counted(self) -> Decimal | None:
        value = self.counted_devices if self.counted_devices is not None else self.counted_ml
        return None if value is None else Decimal(value)

    @property
    def discrepancy(self) -> Decimal | None:
        """Counted minus the balance at the time of the count (counts only)."""
        counted = self.counted
        return None if counted is None else counted - self.balance_after

    def facts(self) -> list[str]:
        """The entry's particulars in words, for the page and the PDF."""
        parts = [
            f"{self.vials} vial{'s' if self.vials != 1 else ''}" if self.vials else "",
            self.supplier, f"inv. {self.invoice}" if self.invoice else "", self.counterparty,
            self.get_method_display() if self.method else "",
            f"reverses #{self.reverses.seq}" if self.reverses_id and self.reverses else "",
            self.reason, self.note,
        ]
        return [part for part in parts if part]

    @property
    def delta_mg(self) -> Decimal:
        return self.delta * self.stock_item.mg_per_unit

    @property
    def balance_after_mg(self) -> Decimal:
        return self.balance_after * self.stock_item.mg_per_unit
