"""The dict round trip of a protocol: `plain` turns the dataclasses into JSON-ready data,
`build` turns plain data back into them, checking every type. Errors name the dotted path
of the field (`dose.options_mg[1]`), so a clinic's edited JSON says where it is wrong."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Literal

from .errors import ProtocolError
from .errors import fail as _fail


def plain(obj: object) -> object:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [plain(v) for v in obj]
    return obj


def build(tp: Any, value: object, path: str) -> object:
    """Turn plain data into `tp`, checking types; errors name the dotted path."""
    where = path or "protocol"
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return build(inner, value, path)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            _fail(where, f"{value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            _fail(where, f"must be a list, got {type(value).__name__}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            _fail(where, f"must be a list of {len(args)} values, got {len(value)}")
        return tuple(
            build(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if is_dataclass(tp):
        return _build_dataclass(tp, value, path)
    if tp is bool:
        if not isinstance(value, bool):
            _fail(where, f"{value!r} must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(where, f"{value!r} must be a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(where, f"{value!r} must be a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            _fail(where, f"{value!r} must be text")
        return value
    raise TypeError(f"unsupported field type {tp!r} at {where}")  # a bug here, not bad input


def _build_dataclass(cls: Any, value: object, path: str) -> object:
    if not isinstance(value, Mapping):
        _fail(path or "protocol", f"must be an object, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    prefix = f"{path}." if path else ""
    unknown = [k for k in value if k not in known]
    if unknown:
        _fail(
            f"{prefix}{unknown[0]}",
            f"unknown field; allowed fields are {', '.join(known)}",
        )
    kwargs: dict[str, object] = {}
    for name, f in known.items():
        if name in value:
            kwargs[name] = build(hints[name], value[name], f"{prefix}{name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            _fail(f"{prefix}{name}", "required")
    try:
        return cls(**kwargs)
    except ProtocolError as e:
        # Validation inside a nested dataclass names its own field; add the path.
        if path and not e.field.startswith(prefix):
            raise ProtocolError(f"{prefix}{e.field}", e.message) from None
        raise
