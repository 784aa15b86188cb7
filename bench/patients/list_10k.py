"""Patient list and search with 10,000 patients in one clinic (issue #3: "fast with
10,000 patients"). Builds a throwaway SQLite database (or uses DATABASE_URL), times the
pages a clinician uses through Django's test client, and prints each figure beside the
same page with 100 patients (the baseline measured in the same run).

    .venv/bin/python bench/patients/list_10k.py [--patients 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

VAR = tempfile.mkdtemp(prefix="ketacare-bench-")
os.environ.setdefault("KETACARE_VAR_DIR", VAR)
os.environ.setdefault("KETACARE_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from ketacare.accounts.models import Clinic, Membership  # noqa: E402
from ketacare.patients.models import Patient  # noqa: E402

FAMILY = ["Nguyen", "Smith", "Garcia", "Okafor", "Kowalski", "Rivera", "Haddad", "Jensen",
          "Moreau", "Tanaka", "Ali", "Brown", "Silva", "Novak", "Ibrahim", "Larsen"]
GIVEN = ["Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Avery"]


def populate(clinic: Clinic, n: int, prefix: str) -> None:
    rows = [
        Patient(clinic=clinic, mrn=f"{prefix}{i:06d}", family_name=f"{FAMILY[i % 16]}{i // 16}",
                given_name=GIVEN[i % 9], date_of_birth=date(1950, 1, 1) + timedelta(days=i % 18000),
                sex_at_birth="female" if i % 2 else "male",
                status=["referred", "screening", "active", "maintenance"][i % 4],
                primary_condition=["depression", "ptsd", "anxiety"][i % 3])
        for i in range(n)
    ]
    Patient.objects.bulk_create(rows, batch_size=2000)


def timed(client: Client, method: str, url: str, data: dict | None, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = getattr(client, method)(url, data or {})
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    big, small = (Clinic.objects.create(name=f"Bench {n}") for n in (args.patients, 100))
    populate(big, args.patients, "B")
    populate(small, 100, "S")
    clients = {}
    for clinic in (big, small):
        user = User.objects.create_user(f"nurse-{clinic.pk}")
        Membership.objects.create(user=user, clinic=clinic, role="nurse")
        client = Client()
        client.force_login(user)
        clients[clinic.pk] = client
    sample = Patient.objects.filter(clinic=big).order_by("mrn")[args.patients // 2]
    small_sample = Patient.objects.filter(clinic=small).order_by("mrn")[50]
    cases = [
        ("list, first page", "get", "/patients/", None, None),
        ("list, filtered by condition + status", "post", "/patients/",
         {"condition": "ptsd", "status": "active"}, None),
        ("search by name prefix", "post", "/patients/", {"q": "Okafor1"}, {"q": "Okafor"}),
        ("search by MRN", "post", "/patients/", {"q": sample.mrn}, {"q": small_sample.mrn}),
        ("search by date of birth", "post", "/patients/",
         {"q": sample.date_of_birth.isoformat()}, {"q": small_sample.date_of_birth.isoformat()}),
        ("chart", "get", f"/patients/{sample.pk}/", None, f"/patients/{small_sample.pk}/"),
        ("list, last page", "post", "/patients/", {"page": str(args.patients // 50)},
         {"page": "2"}),
    ]
    print(f"{'page':<38} {args.patients:>7} pts  {'100 pts':>8}  ratio")
    for name, method, url, data, small_override in cases:
        big_ms = timed(clients[big.pk], method, url, data, args.repeat)
        small_url, small_data = url, data
        if isinstance(small_override, str):
            small_url = small_override
        elif isinstance(small_override, dict):
            small_data = small_override
        small_ms = timed(clients[small.pk], method, small_url, small_data, args.repeat)
        print(f"{name:<38} {big_ms:>7.1f} ms  {small_ms:>6.1f} ms  {big_ms / small_ms:>5.2f}x")
    database = os.environ.get("DATABASE_URL", f"SQLite in {VAR}")
    print(f"(median of {args.repeat} requests each; database {database})")


if __name__ == "__main__":
    main()
