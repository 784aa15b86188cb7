"""PK explorer: compare routes and doses for one (hypothetical) patient. No patient
record is read or written, so nothing here is audited."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.charts import svg
from ketacare.charts.pk import concentration_chart

from .forms import ExplorerForm


@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    # numpy/scipy on the first request, not when the URL configuration is imported.
    from ketacare.clinical import pk

    form = ExplorerForm(request.GET or None)
    if not request.GET:
        form = ExplorerForm({k: v for k, v in _initial(form).items() if v is not None})
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        scenarios = form.scenarios()
        if scenarios and not form.errors:
            try:
                data = pk.compare_scenarios(scenarios, until_min=form.cleaned_data["hours"] * 60)
            except pk.PKInputError as exc:
                form.add_error(None, str(exc))
            else:
                context["data"] = data
                context["chart"] = svg(concentration_chart, data)
                context["assumptions"] = sorted({a for s in data["series"]
                                                 for a in s["assumptions"]})
    return render(request, "pkexplorer/explorer.html", context)


def _initial(form: ExplorerForm) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, field in form.fields.items():
        value = field.initial
        if isinstance(value, bool):
            value = "on" if value else None
        out[name] = value
    return out
