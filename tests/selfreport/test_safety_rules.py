"""Issue #14 items 1 and 11 in self-report: QIDS-SR16 item 12 shows the crisis text as soon
as it is answered and raises the suicidal-ideation alert; a rise of the BPRS positive
subscale and a CADSS total above the clinic's threshold raise clinical alerts in the inbox;
an ASQ "declined" is a positive screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.clinical import answer_alerts as rules
from ketacare.clinical.instruments import get
from ketacare.selfreport import actions
from ketacare.selfreport.config import for_clinic
from ketacare.selfreport.models import Alert, Response

from .conftest import answers, give_first_dose, make_request


def kinds(instrument: str, values: list[int], baseline: int | None = None,
          **limits: object) -> list[str]:
    result = get(instrument).score(values)
    return [a.kind for a in rules.alerts_for(result, baseline, **limits)]  # type: ignore[arg-type]


# --- pure rules ----------------------------------------------------------------------

@pytest.mark.parametrize(("item12", "shown"), [(0, False), (1, True), (3, True)])
def test_qids_item12_needs_crisis_text_at_once(item12: int, shown: bool) -> None:
    assert rules.needs_crisis_text("qids-sr16", {1: 2, 12: item12}) is shown
    assert rules.needs_crisis_text("qids-sr16", {1: 3, 5: 3}) is False


def test_qids_item12_raises_the_suicidal_ideation_alert() -> None:
    values = [0] * 16
    assert kinds("qids-sr16", values) == []
    values[11] = 1
    assert kinds("qids-sr16", values) == ["suicidal_ideation"]


def test_asq_declined_needs_crisis_text_and_alerts() -> None:
    assert rules.needs_crisis_text("asq", {1: 0, 2: 2}) is True
    assert kinds("asq", [0, 0, 2, 0, 0]) == ["suicide_risk"]


@pytest.mark.parametrize(("baseline", "current", "alerted"), [
    (4, 6, False),  # +2: below the default
    (4, 7, True),  # +3: the clinic default
    (6, 10, True),
    (7, 5, False),  # a fall
])
def test_bprs_positive_rise(baseline: int, current: int, alerted: bool) -> None:
    values = [1, 1, 1, current - 3]
    assert ("psychotic_symptoms" in kinds("bprs-positive", values, baseline)) is alerted
    assert rules.DEFAULT_PSYCHOSIS_RISE_POINTS == 3


def test_bprs_rise_needs_a_baseline_and_follows_the_clinic_setting() -> None:
    assert kinds("bprs-positive", [2, 2, 2, 2]) == []  # no valid baseline: no rise alert
    assert kinds("bprs-positive", [1, 1, 1, 3], 4, psychosis_rise_points=2) == [
        "psychotic_symptoms"]


@pytest.mark.parametrize(("instrument", "total", "alerted"), [
    ("cadss", 4, False), ("cadss", 5, True), ("cadss6", 4, False), ("cadss6", 5, True)])
def test_cadss_total_above_the_clinic_threshold(instrument: str, total: int,
                                                alerted: bool) -> None:
    inst = get(instrument)
    values = [0] * len(inst.items)
    values[0], values[1] = min(4, total), total - min(4, total)
    assert ("dissociation" in kinds(instrument, values)) is alerted
    assert kinds(instrument, values, dissociation_above={instrument: 10}) == []


# --- through submit and the pages ----------------------------------------------------

@pytest.mark.django_db
def test_qids_item12_crisis_text_while_answering(client, reachable) -> None:
    req, token = make_request(reachable, "qids-sr16")
    save = reverse("selfreport-link-save", args=[token])
    quiet = client.post(save, {"item_1": "2"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Need help now" not in quiet
    body = client.post(save, {"item_12": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "988" in body and "Need help now" in body


@pytest.mark.django_db
def test_asq_declined_shows_the_crisis_text_while_answering(client, reachable) -> None:
    """Issue #14 item 1: "Declined to answer" is a positive screen at once, like a yes."""
    req, token = make_request(reachable, "asq")
    save = reverse("selfreport-link-save", args=[token])
    quiet = client.post(save, {"item_1": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Need help now" not in quiet
    body = client.post(save, {"item_2": "2"}, HTTP_HX_REQUEST="true").content.decode()
    assert "988" in body and "Need help now" in body


@pytest.mark.django_db
def test_qids_item12_submit_alerts_the_inbox(client, reachable, prescriber_a) -> None:
    req, _ = make_request(reachable, "qids-sr16")
    values = [1] * 16
    values[11] = 2
    actions.submit(req, answers(values))
    alert = Alert.objects.get()
    assert alert.kind == "suicidal_ideation" and "Item 12" in alert.message
    client.force_login(prescriber_a)
    inbox = client.get(reverse("selfreport-alerts")).content.decode()
    assert "QIDS-SR16 item 12" in inbox


@pytest.mark.django_db
def test_bprs_rise_and_cadss_alerts_reach_the_inbox(client, reachable, staff_a, prescriber_a,
                                                    clinic_a) -> None:
    first = actions.submit(make_request(reachable, "bprs-positive")[0], answers([1, 1, 2, 1]))
    Response.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    give_first_dose(staff_a, reachable, prescriber_a, timezone.now() - timedelta(days=1))
    actions.submit(make_request(reachable, "bprs-positive")[0], answers([2, 2, 2, 2]))  # +3
    clinic_a.settings = {"selfreport_dissociation_above": {"cadss6": 6}}
    clinic_a.save()
    assert for_clinic(clinic_a).dissociation_above["cadss6"] == 6
    actions.submit(make_request(reachable, "cadss6")[0], answers([2, 2, 2, 0, 0, 0]))  # 6
    actions.submit(make_request(reachable, "cadss6")[0], answers([2, 2, 2, 1, 0, 0]))  # 7
    assert sorted(Alert.objects.values_list("kind", flat=True)) == [
        "dissociation", "psychotic_symptoms"]
    psych = Alert.objects.get(kind="psychotic_symptoms")
    assert "from baseline 5 to 8" in psych.message and psych.critical
    client.force_login(prescriber_a)
    inbox = client.get(reverse("selfreport-alerts")).content.decode()
    assert "BPRS positive subscale rising" in inbox and "CADSS above the clinic threshold" in inbox


@pytest.mark.django_db
def test_asq_page_offers_declined_and_submit_alerts(client, reachable) -> None:
    req, token = make_request(reachable, "asq")
    page = client.get(reverse("selfreport-link", args=[token])).content.decode()
    assert page.count("Declined to answer") == 4
    actions.submit(req, answers([0, 0, 2, 0, 0]))
    assert list(Alert.objects.values_list("kind", flat=True)) == ["suicide_risk"]
