"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms


class PersonField(forms.ModelChoiceField):
    """A choice of staff member, shown by full name (else username)."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()
