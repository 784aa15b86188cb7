"""An action's ValidationError shown on a page's form: the one mapping every view uses."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseForm


def _same_name(key: str) -> str | None:
    return None


def apply_errors(form: BaseForm, error: ValidationError, *,
                 field_for: Callable[[str], str | None] = _same_name,
                 default: str | None = None, label_unplaced: bool = False) -> None:
    """Each message on the form field it names (`field_for` gives the form's name where the
    action spells it differently), the rest at the top of the form. An error that names no
    field goes on `default` (the top when None). `label_unplaced` keeps the name on a
    message no field takes (a protocol path such as `schedule.phases[0]`)."""
    if not hasattr(error, "error_dict"):
        form.add_error(default, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = field_for(key) or key
        if name in form.fields:
            form.add_error(name, messages)
        elif label_unplaced and key != NON_FIELD_ERRORS:
            form.add_error(None, [f"{key}: {m}" for m in messages])
        else:
            form.add_error(None, messages)
