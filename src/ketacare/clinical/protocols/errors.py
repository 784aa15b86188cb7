"""The one error a protocol raises: `str()` is one line naming the field (dotted for nested
fields, e.g. `dose.max_mg`) and what is allowed."""

from __future__ import annotations

import typing


class ProtocolError(ValueError):
    """A protocol that cannot be used. `str()` is one line naming the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def fail(field_name: str, message: str) -> typing.NoReturn:
    raise ProtocolError(field_name, message)
