"""/clinic/settings/: every clinic setting as a validated form; changes audited with old
and new values; bad input saves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.conftest import make_staff
from tests.treatment.conftest import next_monday, protocol, ready_patient  # noqa: F401

from ketacare.accounts.clinic_settings import SETTINGS, form_for
from ketacare.accounts.models import Clinic
from ketacare.accounts.staff import staff_for
from ketacare.analytics.filters import min_patients
from ketacare.audit.models import AuditEvent
from ketacare.selfreport.config import for_clinic
from ketacare.treatment import actions
from ketacare.treatment.actions.courses import eligibility_for
from ketacare.treatment.models import ClinicalAlert

pytestmark = pytest.mark.django_db


def _current(clinic: Clinic) -> dict[str, object]:
    data = {k: v for k, v in form_for(clinic).initial.items()
            if v is not False and v is not None}
    return {k: ("on" if v is True else v) for k, v in data.items()}


def _save(client, clinic: Clinic, **changes: object) -> None:  # type: ignore[no-untyped-def]
    data = _current(clinic)
    data.update(changes)
    response = client.post("/clinic/settings/", data)
    assert response.status_code == 302, response.content.decode()
    clinic.refresh_from_db()


@pytest.fixture
def prescriber(clinic_a, prescriber_a):  # type: ignore[no-untyped-def]
    return staff_for(prescriber_a, clinic_a)


@pytest.fixture
def nurse(clinic_a, nurse_a):  # type: ignore[no-untyped-def]
    return staff_for(nurse_a, clinic_a)


@pytest.fixture
def iv_session(prescriber, nurse, ready_patient, clinic_a):  # type: ignore[no-untyped-def]  # noqa: F811
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    session = course.sessions.first()
    actions.check_in(nurse, session, escort_present=True, no_driving_ack=True,
                     npo_confirmed=None)
    return session


def test_every_setting_the_code_reads_is_on_the_page() -> None:
    from ketacare.accounts.middleware import IDLE_SETTING
    from ketacare.accounts.two_factor import REQUIRE_SETTING
    from ketacare.patients.models import SCREENING_VALID_SETTING
    from ketacare.rems.prefill import PHONE_SETTING
    from ketacare.selfreport.letter import PAPER_SETTING
    from ketacare.treatment.actions.alerts import ON_DUTY_SETTING
    from ketacare.treatment.actions.discharge import SPO2_SETTING
    from ketacare.treatment.dose_step import BAG_SETTING

    declared = {s.key for s in SETTINGS}
    for key in (REQUIRE_SETTING, SCREENING_VALID_SETTING, PHONE_SETTING, ON_DUTY_SETTING,
                SPO2_SETTING, BAG_SETTING, PAPER_SETTING, "analytics_min_patients",
                "aftercare_send", "selfreport_psychosis_rise_points",
                "selfreport_dissociation_above", "selfreport_rise_points",
                "selfreport_baseline_lead_days", "selfreport_maintenance_window_days",
                IDLE_SETTING, "selfreport_instruments", "outcome_worsened_pct"):
        assert key in declared, key


def test_defaults_are_the_reading_codes(clinic_a) -> None:
    from ketacare.clinical.answer_alerts import DEFAULT_DISSOCIATION_ABOVE
    from ketacare.clinical.eligibility import SCREENING_VALID_DAYS
    from ketacare.clinical.iv_prep import IV_BAG_VOLUME_ML

    initial = form_for(clinic_a).initial
    assert initial["screening_valid_days"] == SCREENING_VALID_DAYS
    assert initial["iv_bag_volume_ml"] == IV_BAG_VOLUME_ML
    assert initial["analytics_min_patients"] == min_patients(clinic_a)
    assert initial["selfreport_dissociation_above__cadss6"] == DEFAULT_DISSOCIATION_ABOVE["cadss6"]
    assert initial["discharge_spo2_min"] is None  # each protocol's own limit
    from ketacare.clinical.outcomes import DEFAULT_WORSENED_PCT

    assert initial["outcome_worsened_pct"] == DEFAULT_WORSENED_PCT


def test_screening_validity_decides_whether_a_course_can_start(
        client, admin_a, clinic_a, ready_patient) -> None:  # noqa: F811
    ready_patient.screenings.update(screened_at=ready_patient.screenings.first().screened_at
                                    - timedelta(days=10))
    assert eligibility_for(ready_patient, "iv")[0]
    client.force_login(admin_a)
    _save(client, clinic_a, screening_valid_days="7")
    ready_patient.refresh_from_db()
    ok, why = eligibility_for(ready_patient, "iv")
    assert not ok and "older than 7 days" in why
    entry = AuditEvent.objects.filter(object_type="clinic").last()
    assert entry is not None
    assert entry.detail["settings"] == {"screening_valid_days": {"old": 90, "new": 7}}


def test_spo2_threshold_changes_the_discharge_checklist(client, admin_a, clinic_a,
                                                        iv_session) -> None:
    def spo2_rule() -> str:
        checklist = actions.discharge_status(iv_session)
        return next(c.rule for c in checklist.items if c.code == "spo2")

    assert "at or above 92%" in spo2_rule()
    client.force_login(admin_a)
    _save(client, clinic_a, discharge_spo2_min="95")
    assert "at or above 95%" in spo2_rule()
    _save(client, clinic_a, discharge_spo2_min="")  # back to the protocol's limit
    assert clinic_a.settings["discharge_spo2_min"] is None
    assert "at or above 92%" in spo2_rule()


def test_on_duty_prescriber_is_chosen_and_receives_the_alert(client, admin_a, clinic_a,
                                                             prescriber_a, nurse,
                                                             iv_session) -> None:
    omar = make_staff("omar", clinic_a, "prescriber")
    client.force_login(admin_a)
    page = client.get("/clinic/settings/").content.decode()
    assert '<option value="omar">Omar Tester (omar)</option>' in page
    assert 'value="noah"' not in page  # a nurse cannot be on duty as prescriber
    _save(client, clinic_a, on_duty_prescriber="omar")
    actions.record_vitals(nurse, iv_session, sbp=150, dbp=84, hr=70, spo2=98, rr=14)
    hold = ClinicalAlert.objects.get(session=iv_session, kind="hold")
    assert set(hold.recipients.all()) == {prescriber_a, omar}


def test_self_report_and_analytics_thresholds_reach_their_readers(client, admin_a,
                                                                  clinic_a) -> None:
    client.force_login(admin_a)
    _save(client, clinic_a, selfreport_dissociation_above__cadss="10",
          selfreport_psychosis_rise_points="5", analytics_min_patients="11", phone="555-0199")
    config = for_clinic(clinic_a)
    assert config.dissociation_above == {"cadss": 10, "cadss6": 4}
    assert config.psychosis_rise_points == 5
    assert config.phone == "555-0199"  # no self-report phone: the clinic phone
    assert min_patients(clinic_a) == 11
    changes = AuditEvent.objects.filter(object_type="clinic").last().detail["settings"]
    assert changes["selfreport_dissociation_above__cadss"] == {"old": 4, "new": 10}
    assert config.outcome_rules.worsened_pct == 25  # the product default until changed
    _save(client, clinic_a, outcome_worsened_pct="40")
    assert for_clinic(clinic_a).outcome_rules.worsened_pct == 40


def test_page_shows_every_setting_grouped_with_sources(client, admin_a) -> None:
    client.force_login(admin_a)
    page = client.get("/clinic/settings/").content.decode()
    for s in SETTINGS:
        assert f'name="{s.name}"' in page
    assert "Clinic details" in page and "Patient self-report" in page
    assert "Source: Default: 988" in page


def test_change_is_saved_used_and_audited(client, admin_a, clinic_a) -> None:
    client.force_login(admin_a)
    data = _current(clinic_a)
    data.update({"selfreport_crisis_text": "Call 988 or our line 555-0100.",
                 "require_two_factor": "on", "dea_registration": "AB1234563",
                 "weight_max_age_days": "14", "address": "1 Main St\nSpringfield"})
    response = client.post("/clinic/settings/", data)
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert for_clinic(clinic_a).crisis_text == "Call 988 or our line 555-0100."
    assert clinic_a.settings["require_two_factor"] is True
    assert clinic_a.settings["weight_max_age_days"] == 14
    assert clinic_a.address == "1 Main St\nSpringfield"
    entry = AuditEvent.objects.filter(object_type="clinic").last()
    assert entry is not None
    changes = entry.detail["settings"]
    assert changes["weight_max_age_days"] == {"old": 30, "new": 14}
    assert changes["require_two_factor"] == {"old": False, "new": True}
    assert "name" not in changes  # unchanged values are not logged


@pytest.mark.parametrize(("key", "value", "message"), [
    ("weight_max_age_days", "0", "greater than or equal to 1"),
    ("weight_max_age_days", "ten", "Enter a whole number"),
    ("time_zone", "Mars/Olympus", "is not an IANA time zone"),
    ("dea_registration", "12345", "Two letters and seven digits"),
    ("name", "Clinic B", "Another clinic is called"),
    ("selfreport_crisis_text", "", "This field is required"),
    ("letter_paper", "legal", "Select a valid choice"),
    ("screening_valid_days", "0", "greater than or equal to 1"),
    ("discharge_spo2_min", "101", "less than or equal to 100"),
    ("iv_bag_volume_ml", "5", "greater than or equal to 20"),
    ("analytics_min_patients", "1", "greater than or equal to 2"),
    ("on_duty_prescriber", "noah", "Select a valid choice"),
    ("on_duty_prescriber", "bert", "Select a valid choice"),
    ("selfreport_dissociation_above__cadss6", "-1", "greater than or equal to 0"),
    ("session_idle_minutes", "2", "greater than or equal to 5"),
    ("session_idle_minutes", "600", "less than or equal to 240"),
    ("selfreport_instruments__ptsd", "madrs", "Select a valid choice"),
])
def test_bad_input_saves_nothing(client, admin_a, nurse_a, prescriber_b, clinic_a, clinic_b,
                                 key, value, message) -> None:
    client.force_login(admin_a)
    data = _current(clinic_a)
    data.update({"selfreport_phone": "555-0100", key: value})
    events = AuditEvent.objects.count()
    response = client.post("/clinic/settings/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "Nothing was saved" in body
    clinic_a.refresh_from_db()
    assert clinic_a.settings == {} and clinic_a.name == "Clinic A"
    assert AuditEvent.objects.count() == events


def test_questionnaires_per_condition_are_chosen_on_the_page(client, admin_a,
                                                             clinic_a) -> None:
    """Which questionnaires a patient is sent follows their primary condition; the
    clinic chooses them here (self-report instruments only), audited old and new."""
    from ketacare.clinical.measurement_schedule import DEFAULT_INSTRUMENTS

    assert for_clinic(clinic_a).rules.instruments_for("depression") == ("phq9",)
    assert for_clinic(clinic_a).rules.instruments_for("") == DEFAULT_INSTRUMENTS["other"]
    client.force_login(admin_a)
    page = client.get("/clinic/settings/").content.decode()
    assert 'name="selfreport_instruments__depression" value="qids-sr16"' in page
    assert 'value="madrs"' not in page  # clinician-rated: not a patient questionnaire
    data = _current(clinic_a)
    data.update({"selfreport_instruments__depression": ["phq9", "qids-sr16"],
                 "selfreport_instruments__other": ["gad7"]})
    response = client.post("/clinic/settings/", data)
    assert response.status_code == 302, response.content.decode()
    clinic_a.refresh_from_db()
    rules = for_clinic(clinic_a).rules
    assert rules.instruments_for("depression") == ("phq9", "qids-sr16")
    assert rules.instruments_for("other") == ("gad7",)
    assert rules.instruments_for("") == ("gad7",)  # no condition recorded: as "other"
    assert rules.instruments_for("ptsd") == ("pcl5",)
    entry = AuditEvent.objects.filter(object_type="clinic").last()
    assert entry is not None
    assert entry.detail["settings"] == {
        "selfreport_instruments__depression": {"old": ["phq9"], "new": ["phq9", "qids-sr16"]},
        "selfreport_instruments__other": {"old": ["phq9"], "new": ["gad7"]}}
    none = dict(data)
    none.pop("selfreport_instruments__anxiety")
    response = client.post("/clinic/settings/", none)
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_session_idle_timeout_is_the_clinics(client, admin_a, clinic_a, prescriber_a) -> None:
    """The clinic's idle timeout signs its members out; it may be longer than the
    installation's default (KETACARE_SESSION_IDLE_MIN), and the server keeps such a
    session alive that long."""
    import time

    from django.conf import settings
    from django.test import Client

    from ketacare.accounts.middleware import SESSION_TOUCHED_AT

    def idle_for(c: Client, minutes: float) -> None:
        session = c.session
        session[SESSION_TOUCHED_AT] = time.time() - minutes * 60
        session.save()

    client.force_login(admin_a)
    assert form_for(clinic_a).initial["session_idle_minutes"] == (
        settings.KETACARE_SESSION_IDLE_SECONDS // 60)
    _save(client, clinic_a, session_idle_minutes="90")
    entry = AuditEvent.objects.filter(object_type="clinic").last()
    assert entry is not None
    assert entry.detail["settings"] == {"session_idle_minutes": {"old": 30, "new": 90}}
    priya = Client()
    priya.force_login(prescriber_a)
    assert priya.get("/").status_code == 200
    assert priya.session.get_expiry_age() >= 90 * 60
    idle_for(priya, 80)
    assert priya.get("/patients/").status_code == 200
    _save(client, clinic_a, session_idle_minutes="10")
    idle_for(priya, 11)
    response = priya.get("/patients/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert priya.get("/").status_code == 302  # really signed out
