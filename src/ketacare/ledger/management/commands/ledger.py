"""`ketacare ledger verify`: check every stock item's entries (sequence without gaps,
balances equal to the sum of the deltas, the HMAC chain). Exit 0 with one OK line, or exit 1
with one BROKEN line per damaged item on stderr. For cron, next to `audit verify`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketacare.audit.log import audit_key
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.ledger.integrity import verify_item
from ketacare.ledger.models import LedgerEntry, StockItem


class Command(KetaCareCommand):
    help = "Controlled-substance ledger: verify every stock item's entries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify}")
        sub.add_parser("verify", help="sequence, balances and hash chain of every stock item")

    def handle(self, *args: Any, **options: Any) -> None:
        key = audit_key()
        items = entries = broken = 0
        for item in StockItem.objects.order_by("clinic_id", "pk"):
            items += 1
            rows = LedgerEntry.objects.filter(stock_item=item).order_by("seq").iterator()
            checked, problem = verify_item(rows, key)
            entries += checked
            if problem:
                broken += 1
                self.stderr.write(f"BROKEN: stock item {item.pk} ({item.label}, clinic "
                                  f"{item.clinic_id}): {problem}")
        if broken:
            raise SystemExit(1)
        self.stdout.write(f"OK: {items} stock items, {entries} entries; sequences, balances "
                          "and hash chains intact")
