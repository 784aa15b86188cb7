"""The harness's database side, run in a subprocess with the server's environment:

    python -m bench.load.dbside seed CLIENTS LINKS   -> JSON on stdout (what clients use)
    python -m bench.load.dbside check < ledger.json  -> JSON on stdout (lost, duplicated)

`seed` makes one clinic, a prescriber with a browser session and an API token, one patient
per client (each client owns its patient and its self-report links, so no two clients race
on one record and every acknowledged write has exactly one expected outcome) and LINKS open
PHQ-9 links per client. `check` reads the writes the clients saw acknowledged (or sent
without an answer) and counts what the database lost or holds twice."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, timedelta
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
    import django

    django.setup()


def seed(clients: int, links: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from ketacare.accounts.models import Clinic, Membership
    from ketacare.interop.auth import create_token
    from ketacare.patients.models import Patient
    from ketacare.selfreport import actions

    clinic = Clinic.objects.create(name="Load Clinic", time_zone="America/New_York")
    user = get_user_model().objects.create_user(username="load-prescriber", password=None)
    Membership.objects.create(user=user, clinic=clinic, role="prescriber")
    _, token = create_token(user, clinic, "load harness")
    browser = Client()
    browser.force_login(user)
    today = timezone.localdate()
    out: dict[str, Any] = {"token": token, "session": browser.cookies["sessionid"].value,
                           "clients": []}
    for n in range(clients):
        patient = Patient.objects.create(
            clinic=clinic, mrn=f"LOAD-{n}", given_name=f"Load{n}", family_name="Harness",
            date_of_birth=date(1980, 1, 1), sex_at_birth="female", status="active")
        tokens = []
        for _ in range(links):
            req = actions.new_request(clinic, patient, "phq9", kind="manual", key="",
                                       opens=today, closes=today + timedelta(days=7),
                                       source="manual")
            tokens.append(actions.issue_link(req, "email"))
        out["clients"].append({"patient": str(patient.pk), "links": tokens})
    return out


def allowed_saves(ledger: dict[str, Any]) -> dict[tuple[str, str], set[int]]:
    """Per link and item, the answers the database may hold after the run: the last
    acknowledged save, any save sent after it without an answer, and the answer of a submit
    sent without an answer (a submit first saves all its answers in a transaction of its
    own, so a kill can leave them saved whether or not the submit itself happened)."""
    allowed: dict[tuple[str, str], set[int]] = {}
    for token, item, value, acked in ledger["saves"]:
        key = (token, str(item))
        if acked:
            allowed[key] = {value}
        elif key in allowed:
            allowed[key].add(value)
    for token, values, acked in ledger["submits"]:
        if not acked:
            for item, value in enumerate(values, start=1):
                if (token, str(item)) in allowed:
                    allowed[(token, str(item))].add(value)
    return allowed


def check(ledger: dict[str, Any]) -> dict[str, Any]:
    """ledger: {"fhir": [[patient, authored, acked]], "submits": [[token, values, acked]],
    "saves": [[token, item, value, acked], ...in the order sent]}. A write sent without an
    answer (server killed) may or may not have happened: it is never "lost", but it must not
    happen twice."""
    from ketacare.selfreport import tokens as link_tokens
    from ketacare.selfreport.models import Link, Response

    lost = duplicated = 0
    problems: list[str] = []
    fhir: dict[tuple[str, str], bool] = {}
    for patient, authored, acked in ledger["fhir"]:  # a replayed write is listed twice
        fhir[(patient, authored)] = fhir.get((patient, authored), False) or acked
    for (patient, authored), acked in fhir.items():
        when = datetime.fromisoformat(authored)
        n = Response.objects.filter(patient_id=patient, submitted_at=when).count()
        if n == 0 and acked:
            lost += 1
            problems.append(f"FHIR response {authored} of {patient} acknowledged, not stored")
        if n > 1:
            duplicated += n - 1
            problems.append(f"FHIR response {authored} of {patient} stored {n} times")

    def request_of(token: str) -> Any:
        return Link.objects.select_related("request").get(
            token_hash=link_tokens.digest(token)).request

    submitted = set()
    for token, values, acked in ledger["submits"]:
        req = request_of(token)
        responses = list(Response.objects.filter(request=req))
        if acked:
            submitted.add(token)
            if not responses or responses[0].values != values:
                lost += 1
                problems.append(f"submit of request {req.pk} acknowledged, not stored as sent")
    for (token, item), allowed in allowed_saves(ledger).items():
        if token in submitted:
            continue  # the submit's answers replaced the saved ones
        stored = request_of(token).progress.get(item)
        if stored not in allowed:
            lost += 1
            problems.append(f"saved answer {item} of a link is {stored}, expected {allowed}")
    return {"lost": lost, "duplicated": duplicated, "problems": problems[:20]}


def main(argv: list[str]) -> int:
    _setup()
    if argv[0] == "seed":
        print(json.dumps(seed(int(argv[1]), int(argv[2]))))
    else:
        print(json.dumps(check(json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
