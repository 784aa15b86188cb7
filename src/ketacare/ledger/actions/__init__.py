"""Every write to the controlled-substance ledger: validate, check permission, post one
entry under a lock on its stock item, audit, all in one transaction. Views, API, CLI and
the session day (doses post here) call these; nothing else creates entries.

Amounts are given in the item's unit: `quantity_ml` for vials, `devices` for nasal
devices; the other must be left out. They are positive, except for `adjust`, where the
sign says which way. A refused action raises `ValidationError` naming the field and
leaves nothing behind.

`stock` sets up the shelf, `entries` moves stock, `_common` holds the amount rules, the
checks and the posting of one sealed entry.
"""

from ._common import (
    MAX_DEVICES,
    MAX_ML,
    NEEDS_WITNESS,
    OUTGOING,
    balance,
    balance_mg,
    clinic_today,
    last_count,
)
from .entries import adjust, administer, count, dispense, receive, reverse, transfer, waste
from .stock import create_stock_item

__all__ = [
    "MAX_DEVICES", "MAX_ML", "NEEDS_WITNESS", "OUTGOING", "adjust", "administer", "balance",
    "balance_mg", "clinic_today", "count", "create_stock_item", "dispense", "last_count",
    "receive", "reverse", "transfer", "waste",
]
