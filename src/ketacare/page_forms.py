"""The forms a page may show, each built when its template first asks for it.

A session-day page offers eleven forms but shows the few its step needs (a signed
session: one); building the others cost about 1 ms a request (issue 17). A form the view
received (bound, with its errors) is shown as it is.

A blank form of a class that says its blank rendering is static (`StaticBlank`) has its
fields rendered once per worker (`fields_html`): the chart's two add forms cost about
1.5 ms a request to render, a tenth of the chart (issue 17)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping

from django.forms import BaseForm
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


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


class StaticBlank:
    """Mixin for a form whose blank (unbound) rendering depends on nothing but its class,
    its ids (`auto_id`, `prefix`) and its fields' initial values: no choices read from the
    database, nothing from the request or the user. `fields_html` renders such a form's
    fields once per worker for each of those keys."""


_BLANK_HTML: dict[Hashable, SafeString] = {}
_BLANK_HTML_MAX = 256  # keys are few (forms x ids); dated initial values add one a day


def fields_html(form: BaseForm, template_name: str) -> SafeString:
    """`template_name` rendered with {"form": form}. A bound form (its data, its errors)
    and a form that is not `StaticBlank` are rendered every time; a blank `StaticBlank`
    form once per worker and key (class, ids, template, initial values)."""
    if form.is_bound or not isinstance(form, StaticBlank):
        return render_to_string(template_name, {"form": form})
    key = (type(form), form.auto_id, form.prefix, template_name,
           tuple((bf.name, repr(bf.value())) for bf in form))
    html = _BLANK_HTML.get(key)
    if html is None:
        if len(_BLANK_HTML) >= _BLANK_HTML_MAX:
            _BLANK_HTML.clear()
        html = _BLANK_HTML[key] = render_to_string(template_name, {"form": form})
    return html
