"""National Drug Code format check (FDA: 10 digits in three segments, labeler-product-
package, as 4-4-2, 5-3-2 or 5-4-1; billing systems also use the 11-digit 5-4-2 form).
Pure Python: the action calls it, the tests exercise it directly."""

from __future__ import annotations

import re

_TEN = re.compile(r"^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1})$")
_ELEVEN = re.compile(r"^(\d{5}-\d{4}-\d{2}|\d{11})$")


def clean_ndc(value: str) -> str:
    """The NDC as given (trimmed), or ValueError with the formats allowed. Blank is
    allowed: not every compounded product has one."""
    ndc = (value or "").strip()
    if ndc and not (_TEN.match(ndc) or _ELEVEN.match(ndc)):
        raise ValueError(f"{ndc!r} is not an NDC: use the dashes on the package "
                         "(4-4-2, 5-3-2 or 5-4-1 digits) or the 11-digit 5-4-2 form.")
    return ndc
