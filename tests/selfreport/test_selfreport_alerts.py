"""Alert rules at their thresholds, the inbox (acknowledge, then action taken), and who may
see and do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.clinical import answer_alerts as rules
from ketacare.clinical.instruments import get
from ketacare.selfreport import actions
from ketacare.selfreport.models import Alert, Response

from .conftest import answers, give_first_dose, make_request

pytestmark = pytest.mark.django_db


def phq9(total: int, item9: int = 0) -> list[int]:
    """PHQ-9 answers with the given total (item 9 included in it)."""
    values, left = [0] * 9, total - item9
    values[8] = item9
    for i in range(8):
        values[i] = min(3, left)
        left -= values[i]
    assert left == 0
    return values


def answer(patient, instrument: str, values: list[int]) -> Response:  # type: ignore[no-untyped-def]
    req, _ = make_request(patient, instrument)
    return actions.submit(req, answers(values))


# --- pure rules --------------------------------------------------------------------

@pytest.mark.parametrize("item9, alerted", [(0, False), (1, True), (3, True)])
def test_phq9_item9_rule(item9: int, alerted: bool) -> None:
    result = get("phq9").score(phq9(item9, item9))
    kinds = [a.kind for a in rules.alerts_for(result, None)]
    assert ("suicidal_ideation" in kinds) is alerted


@pytest.mark.parametrize("values, expected", [
    ([0, 0, 0, 0], []),
    ([0, 0, 0, 1, 0], ["suicide_risk"]),
    ([1, 0, 0, 0, 1], ["suicide_risk", "suicide_risk_acute"]),
])
def test_asq_rule(values: list[int], expected: list[str]) -> None:
    result = get("asq").score(values)
    assert [a.kind for a in rules.alerts_for(result, None)] == expected


@pytest.mark.parametrize("instrument, baseline, points", [
    ("phq9", 8, 5), ("gad7", 6, 5), ("pcl5", 30, 10)])
def test_score_rise_at_the_default_threshold(instrument: str, baseline: int, points: int) -> None:
    inst = get(instrument)

    def values(total: int) -> list[int]:
        out, left = [], total
        for item in inst.scored_items:
            out.append(min(item.max, left))
            left -= out[-1]
        return out

    below = inst.score(values(baseline + points - 1))
    at = inst.score(values(baseline + points))
    assert [a.kind for a in rules.alerts_for(below, baseline)] == []
    assert [a.kind for a in rules.alerts_for(at, baseline)] == ["score_rise"]
    assert [a.kind for a in rules.alerts_for(at, baseline, {instrument: points + 1})] == []


# --- through submit ----------------------------------------------------------------

def test_item9_creates_an_alert(reachable) -> None:
    response = answer(reachable, "phq9", phq9(4, 1))
    alert = Alert.objects.get()
    assert alert.kind == "suicidal_ideation" and alert.response == response
    assert alert.patient == reachable and alert.clinic == reachable.clinic


def test_rise_from_baseline_creates_an_alert_at_the_clinic_amount(reachable, clinic_a, staff_a,
                                                                    prescriber_a) -> None:
    answer(reachable, "phq9", phq9(8))  # the baseline: before the first dose
    give_first_dose(staff_a, reachable, prescriber_a)
    answer(reachable, "phq9", phq9(12))  # +4: no alert
    assert not Alert.objects.exists()
    answer(reachable, "phq9", phq9(13))  # +5 from the first (baseline) total
    alert = Alert.objects.get()
    assert alert.kind == "score_rise" and "from baseline 8 to 13" in alert.message
    clinic_a.settings = {"selfreport_rise_points": {"phq9": 7}}
    clinic_a.save()
    answer(reachable, "phq9", phq9(14))  # +6 < 7
    assert Alert.objects.count() == 1


def test_asq_positive_creates_alerts(reachable) -> None:
    answer(reachable, "asq", [1, 0, 0, 0, 1])
    assert sorted(Alert.objects.values_list("kind", flat=True)) == [
        "suicide_risk", "suicide_risk_acute"]


# --- inbox -------------------------------------------------------------------------

@pytest.fixture
def alert(reachable) -> Alert:
    answer(reachable, "phq9", phq9(5, 1))
    return Alert.objects.get()


def test_inbox_ack_then_action(client, prescriber_a, alert) -> None:
    client.force_login(prescriber_a)
    page = client.get(reverse("selfreport-alerts"))
    assert page.status_code == 200 and "Rivera, Jordan" in page.content.decode()
    assert "Suicide item above 0" in page.content.decode()
    ack = client.post(reverse("selfreport-alert-ack", args=[alert.pk]))
    assert ack.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == prescriber_a and alert.acknowledged_at is not None
    client.post(reverse("selfreport-alert-action", args=[alert.pk]), {"action_taken": ""})
    alert.refresh_from_db()
    assert alert.action_at is None  # "say what was done"
    client.post(reverse("selfreport-alert-action", args=[alert.pk]),
                {"action_taken": "Called patient; safety plan reviewed; seen today."})
    alert.refresh_from_db()
    assert alert.action_by == prescriber_a and alert.state == "closed"
    assert "Called patient" in client.get(reverse("selfreport-alerts")).content.decode()
    events = AuditEvent.objects.filter(object_type="alert", username="priya")
    assert events.count() == 2


def test_nurse_may_act_admin_may_view_analyst_nothing(client, nurse_a, admin_a, analyst_a,
                                                      alert) -> None:
    client.force_login(nurse_a)
    assert client.post(reverse("selfreport-alert-ack", args=[alert.pk])).status_code == 302
    client.force_login(admin_a)
    assert client.get(reverse("selfreport-alerts")).status_code == 200
    assert client.get(reverse("selfreport-home")).status_code == 200
    assert client.post(reverse("selfreport-alert-action", args=[alert.pk]),
                       {"action_taken": "x"}).status_code == 403
    client.force_login(analyst_a)
    for name in ("selfreport-alerts", "selfreport-home"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("selfreport-responses", args=[alert.patient_id])).status_code == 403
    assert client.post(reverse("selfreport-alert-ack", args=[alert.pk])).status_code == 403


def test_other_clinic_sees_nothing(client, prescriber_b, alert) -> None:
    client.force_login(prescriber_b)
    page = client.get(reverse("selfreport-alerts"))
    assert page.status_code == 200 and "Jordan" not in page.content.decode()
    assert client.post(reverse("selfreport-alert-ack", args=[alert.pk])).status_code == 404
    assert client.post(reverse("selfreport-alert-action", args=[alert.pk]),
                       {"action_taken": "x"}).status_code == 404
    assert client.get(reverse("selfreport-responses", args=[alert.patient_id])).status_code == 404
    assert client.post(reverse("selfreport-send", args=[alert.patient_id]),
                       {"instrument": "phq9"}).status_code == 404
    assert "Jordan" not in client.get(reverse("selfreport-home")).content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_actions_refuse_another_clinic(prescriber_b, clinic_b, alert) -> None:
    staff_b = staff_for(prescriber_b, clinic_b)
    with pytest.raises(ValidationError):
        actions.acknowledge(staff_b, alert)


def test_analyst_action_denied(analyst_a, clinic_a, alert) -> None:
    with pytest.raises(PermissionDenied):
        actions.acknowledge(staff_for(analyst_a, clinic_a), alert)


def test_nav_badge_counts_unacknowledged(client, prescriber_a, alert) -> None:
    client.force_login(prescriber_a)
    body = client.get(reverse("selfreport-home")).content.decode()
    assert 'class="sr-badge"' in body and ">1</span>" in body


def test_patient_page_lists_responses_with_change(client, prescriber_a, reachable,
                                                  staff_a) -> None:
    first = answer(reachable, "phq9", phq9(16))
    Response.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=7))
    give_first_dose(staff_a, reachable, prescriber_a, timezone.now() - timedelta(days=6))
    answer(reachable, "phq9", phq9(6))
    client.force_login(prescriber_a)
    page = client.get(reverse("selfreport-responses", args=[reachable.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Moderately severe" in body and "Mild" in body
    assert "-10" in body and "from 16" in body and "-62.5%" in body
    assert AuditEvent.objects.filter(object_type="selfreport", patient_id=reachable.pk).exists()


def test_send_now_and_kiosk(client, prescriber_a, reachable, mailoutbox) -> None:
    client.force_login(prescriber_a)
    response = client.post(reverse("selfreport-send", args=[reachable.pk]),
                           {"instrument": "gad7"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/r/" in mailoutbox[0].body
    assert "Rivera" not in mailoutbox[0].body
    kiosk = client.post(reverse("selfreport-kiosk", args=[reachable.pk]), {"instrument": "phq9"})
    assert kiosk.status_code == 302 and kiosk["Location"].startswith("/r/")
    # the staff member is signed out: the device is locked back to the sign-in page
    assert client.get(reverse("selfreport-home")).status_code == 302
    page = client.get(kiosk["Location"])
    assert page.status_code == 200 and "Hello" not in page.content.decode()
    done = client.post(kiosk["Location"] + "submit", answers([0] * 9))
    assert "hand the device back" in done.content.decode()


def test_patient_page_says_no_valid_baseline(client, prescriber_a, reachable) -> None:
    """Issue #14 item 3: no course dosed, so no baseline: the change is not computed."""
    first = answer(reachable, "phq9", phq9(16))
    Response.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=7))
    answer(reachable, "phq9", phq9(6))
    client.force_login(prescriber_a)
    body = client.get(reverse("selfreport-responses", args=[reachable.pk])).content.decode()
    assert "no valid baseline" in body and "from 16" not in body
