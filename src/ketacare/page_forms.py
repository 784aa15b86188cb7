"""The forms a page may show, each built when its template first asks for it.

A session-day page offers eleven forms but shows the few its step needs (a signed
session: one); building the others cost about 1 ms a request (issue 17). A form the view
received (bound, with its errors) is shown as it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from django.forms import BaseForm


class PageForms(Mapping[str, BaseForm]):
    def __init__(self, blank: Mapping[str, Callable[[], BaseForm]],
                 bound: Mapping[str, BaseForm] | None = None) -> None:
        unknown = set(bound or {}) - set(blank)
        if unknown:
            raise KeyError(f"no such form on this page: {sorted(unknown)}")
        self._blank = blank
        self._built: dict[str, BaseForm] = dict(bound or {})

    def __getitem__(self, name: str) -> BaseForm:
        if name not in self._built:
            self._built[name] = self._blank[name]()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._blank)

    def __len__(self) -> int:
        return len(self._blank)

    def bound(self, name: str) -> BaseForm | None:
        """The form the request posted, if it was this one."""
        form = self._built.get(name)
        return form if form is not None and form.is_bound else None
