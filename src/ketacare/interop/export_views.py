"""The research export page for analysts: one button, a zip of the de-identified files."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires
from ketacare.audit.log import record
from ketacare.audit.models import Action


@requires(Perm.VIEW_AGGREGATES)
@require_http_methods(["GET", "POST"])
def research_export(request: HttpRequest) -> HttpResponse:
    from . import research  # pyarrow: loaded by the export, not by every command's start

    staff: Staff = request.staff  # type: ignore[attr-defined]
    if request.method == "GET":
        return render(request, "interop/export.html", {"clinic": staff.clinic})
    dates = request.POST.get("dates", "relative")
    if dates not in research.DATE_MODES:
        return render(request, "interop/export.html",
                      {"clinic": staff.clinic, "error": "Choose how dates are exported."},
                      status=400)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export"
        manifest = research.export(staff.clinic, out, dates=dates)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.iterdir()):
                archive.write(path, arcname=path.name)
    record(Action.EXPORT, request=request, object_type="research_export",
           detail={"rows": manifest["rows"], "dates": dates})
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="ketacare-research-export.zip"'
    response["Cache-Control"] = "no-store"
    return response
