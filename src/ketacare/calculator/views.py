"""Scoring calculator: any instrument filled on one page; nothing is stored."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.clinical import instruments
from ketacare.clinical.instruments import Instrument, InstrumentInputError

from .forms import InstrumentForm


def _instrument(instrument_id: str) -> Instrument:
    try:
        return instruments.get(instrument_id)
    except InstrumentInputError:
        raise Http404("No such instrument") from None


@require_http_methods(["GET"])
def pick(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.get("instrument")
    if chosen:
        return redirect("calculator-instrument", instrument_id=_instrument(chosen).id)
    return render(
        request, "calculator/pick.html", {"instruments": instruments.all_instruments()}
    )


@require_http_methods(["GET", "POST"])
def calculate(request: HttpRequest, instrument_id: str) -> HttpResponse:
    instrument = _instrument(instrument_id)
    form = InstrumentForm(instrument, request.POST if request.method == "POST" else None)
    submitted = request.method == "POST" and form.is_valid()
    context = {
        "instrument": instrument,
        "instruments": instruments.all_instruments(),
        "form": form,
        "result": form.result if submitted else None,
        "posted": request.method == "POST",
    }
    return render(request, "calculator/calculate.html", context)
