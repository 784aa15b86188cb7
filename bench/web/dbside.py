"""The web benchmark's database side, run in a subprocess with the server's environment:

    python -m bench.web.dbside targets        -> JSON: session, API token, paths to load
    python -m bench.web.dbside queries PATH.. -> JSON: SQL queries per request, per path

`targets` signs demo-prescriber in (a browser session and an API token) and picks, from
the synthetic patients of `ketacare demo --patients`, a treated patient (chart, FHIR
Observation), one of their signed sessions (session-day page) and a common surname
(search). `queries` requests each path once through Django's test Client with the same
user, after one warm-up request, counting the SQL statements."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

USERNAME = "demo-prescriber"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
    import django

    django.setup()


def targets() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client

    from ketacare.accounts.models import Clinic
    from ketacare.interop.auth import create_token
    from ketacare.patients.models import Patient
    from ketacare.treatment.models import Session

    clinic = Clinic.objects.get(name="Demo Clinic")
    user = get_user_model().objects.get(username=USERNAME)
    _, token = create_token(user, clinic, "web benchmark")
    browser = Client()
    browser.force_login(user)
    patient = (Patient.objects.filter(clinic=clinic, mrn__startswith="SY-",
                                      courses__isnull=False).order_by("mrn").first()
               or Patient.objects.filter(clinic=clinic, courses__isnull=False).first())
    assert patient is not None, "no treated patient: run `ketacare demo --patients N` first"
    session = Session.objects.filter(course__patient=patient).order_by("number").last()
    assert session is not None
    surname = (Patient.objects.filter(clinic=clinic).values("family_name")
               .annotate(n=Count("pk")).order_by("-n", "family_name").first())
    assert surname is not None
    return {"session": browser.cookies["sessionid"].value, "token": token,
            "patient": str(patient.pk), "session_id": session.pk,
            "surname": surname["family_name"], "surname_count": surname["n"],
            "patients": Patient.objects.filter(clinic=clinic).count()}


def queries(requests: list[dict[str, Any]]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.get(username=USERNAME)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    out: dict[str, Any] = {}
    for req in requests:
        def send(req: dict[str, Any] = req) -> Any:
            headers = {"HTTP_AUTHORIZATION": req["auth"]} if req.get("auth") else {}
            if req["method"] == "POST":
                return client.post(req["path"], req["form"], **headers)
            return client.get(req["path"], **headers)

        send()  # warm-up: first-request caches are not what a request costs
        with CaptureQueriesContext(connection) as captured:
            response = send()
        out[req["name"]] = {"queries": len(captured), "status": response.status_code}
    return out


def main() -> None:
    _setup()
    result = targets() if sys.argv[1] == "targets" else queries(json.load(sys.stdin))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
