"""Totals without counting: a list or search reads one row more than its page shows, and
when that read ends the result, the page itself tells how many there are."""

from __future__ import annotations


def told_by_page(read: int, shown: int, offset: int) -> int | None:
    """How many rows match in all, when the page tells it: `read` rows came back of the
    `shown` + 1 asked for from `offset`. A read of at most `shown` rows ends the result; an
    empty read past the first row tells nothing (the result may end before `offset`)."""
    if read <= shown and (read or offset == 0):
        return offset + read
    return None
