"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.pdf import person


class PersonField(forms.ModelChoiceField):
    """A choice of staff member, shown by full name (else username)."""

    def label_from_instance(self, obj: Any) -> str:
        return person(obj)
