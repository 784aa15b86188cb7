"""`ketacare demo`: two clinics, their staff and synthetic patients for a fresh install.

Idempotent: a re-run resets the demo users' password and changes nothing else. Patients are
planned from fixed seeds and only the missing ones are created (see `ketacare.demo`).
`--patients N` then adds N bulk synthetic patients to Demo Clinic (`demo.population`).
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from ketacare.demo import consent, patients, population, rems, selfreport, staff, treatment
from ketacare.demo.planner import Planner
from ketacare.demo.profiles import DEMO, OTHER, OTHER_PROFILES, PASSWORD_ENV, USERS, demo_profiles
from ketacare.patients.models import Patient

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Command(BaseCommand):
    help = "Create the demo clinics, staff and synthetic patients; print the demo password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=0, metavar="N",
            help="also add N bulk synthetic patients to Demo Clinic (a tenth with courses, "
                 "sessions, vitals, doses and questionnaires), for load tests")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 0:
            self.stderr.write("--patients: must be 0 or more")
            raise SystemExit(2)
        password = os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(12)
        with transaction.atomic():
            users = self._demo(password)
        if options["patients"]:
            added = population.generate(options["patients"], users)
            self.stdout.write(f"  Synthetic patients added now: {added}")
        self.stdout.write(f"Password for all demo users: {password}")

    def _demo(self, password: str) -> dict[str, User]:
        # Hashed once for all five users: Argon2 is deliberately slow, and the demo users
        # share one password by design.
        clinics, users = staff.build(make_password(password))
        demo, other = clinics[DEMO.name], clinics[OTHER.name]
        admin = staff.as_staff(users, demo, "demo-admin")
        nurse = staff.as_staff(users, demo, "demo-nurse")
        prescriber = staff.as_staff(users, demo, "demo-prescriber")
        other_prescriber = staff.as_staff(users, other, "other-prescriber")

        today = datetime.now(ZoneInfo(DEMO.time_zone)).date()
        demo_plans = Planner(DEMO, today).plan(demo_profiles())
        created = {DEMO.name: patients.populate(demo, demo_plans, admin, nurse, prescriber)}
        today = datetime.now(ZoneInfo(OTHER.time_zone)).date()
        other_plans = Planner(OTHER, today).plan(list(OTHER_PROFILES))
        created[OTHER.name] = patients.populate(other, other_plans, other_prescriber,
                                                other_prescriber, other_prescriber)
        courses = treatment.populate(prescriber, nurse)
        rems.populate(prescriber)  # issue 14 item 7: esketamine patients REMS-enrolled
        responses = selfreport.populate(demo, prescriber)
        consent.populate(nurse, self.stdout.write)

        self.stdout.write("Demo data ready.")
        for clinic in clinics.values():
            total = Patient.objects.filter(clinic=clinic).count()
            self.stdout.write(f"  {clinic.name} ({clinic.time_zone}): {total} patients, "
                              f"{created[clinic.name]} added now")
        self.stdout.write(f"  Treatment courses started now: {courses} (session 1 today)")
        self.stdout.write(f"  Self-report responses added now: {responses}")
        self.stdout.write("Users (sign in at /accounts/login/):")
        for username, spec, role in USERS:
            self.stdout.write(f"  {username:<17} {role.label:<13} {spec.name}")
        return users
