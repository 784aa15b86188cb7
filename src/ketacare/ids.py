"""Row ids from URLs and forms: anything that cannot be one of our ids is a 404."""

from __future__ import annotations

from django.http import Http404

# Largest value a BigAutoField holds; a larger id in a URL must be a 404, not a database
# overflow (PostgreSQL raises on it).
MAX_ID = 2**63 - 1


def int_id(value: object) -> int:
    """A row id from a URL or form, or Http404 when it cannot be one."""
    try:
        number = int(str(value))
    except ValueError:
        raise Http404("Not found") from None
    if not 0 < number <= MAX_ID:
        raise Http404("Not found")
    return number
