"""On a phone (390x844): the patient opens the emailed link, answers PHQ-9 with a dropped
connection (reload) in the middle, reports item 9 = 1, submits and sees the crisis text;
then a clinician sees the alert in the inbox and acknowledges it. Screenshots go to
$KETACARE_SCREENSHOTS (default /tmp)."""

from __future__ import annotations

import os
import tempfile

import pytest
from playwright.sync_api import expect

from ketacare.accounts.staff import staff_for
from ketacare.selfreport import actions
from ketacare.selfreport.models import Alert, Response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())
ANSWERS = [1, 2, 1, 0, 1, 2, 0, 0, 1]  # total 8, item 9 = 1


def test_patient_answers_on_a_phone_and_clinician_acknowledges(
        chromium, live_server, settings, mailoutbox, sign_in, clinician, clinic_a,
        reachable) -> None:
    settings.KETACARE_BASE_URL = live_server.url
    settings.KETACARE_SMS_BACKEND = "ketacare.selfreport.delivery.FileSmsBackend"
    settings.KETACARE_SMS_FILE_PATH = os.path.join(tempfile.mkdtemp(), "sms")
    actions.request_now(staff_for(clinician, clinic_a), reachable, "phq9")
    link = next(line for line in mailoutbox[0].body.splitlines() if "/r/" in line).strip()
    assert link.startswith(live_server.url)

    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                   has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Hello Jordan")
    expect(page.locator("body")).not_to_contain_text("Rivera")
    page.screenshot(path=f"{SHOTS}/selfreport-phone-start.png", full_page=False)

    def choose(item: int, value: int) -> None:
        page.locator(f"#q{item} .sr-option").nth(value).click()

    for n, value in enumerate(ANSWERS[:4], start=1):
        choose(n, value)
        expect(page.locator("#sr-status")).to_contain_text(f"{n} of 9 answered")
    page.reload()  # the connection dropped: nothing already answered is lost
    for n, value in enumerate(ANSWERS[:4], start=1):
        expect(page.locator(f"#q{n} input[value='{value}']")).to_be_checked()
    for n, value in enumerate(ANSWERS[4:], start=5):
        choose(n, value)
        expect(page.locator("#sr-status")).to_contain_text(f"{n} of 9 answered")
    expect(page.locator("#sr-status .sr-crisis")).to_contain_text("988")  # before submitting
    page.screenshot(path=f"{SHOTS}/selfreport-phone-item9.png", full_page=False)
    box = page.locator("#q1 .sr-option").first.bounding_box()
    assert box is not None and box["height"] >= 44  # touch target

    page.click("button.sr-submit")
    expect(page.locator(".sr-crisis")).to_contain_text("call or text 988")
    expect(page.locator("body")).to_contain_text("within one business day")
    page.screenshot(path=f"{SHOTS}/selfreport-phone-thanks.png", full_page=True)
    assert not errors, errors  # no CSP violations or script errors
    response = Response.objects.get()
    assert response.total == 8 and response.flags == ["suicidal_ideation"]
    context.close()

    staff_page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(staff_page)
    expect(staff_page.locator(".sr-badge")).to_have_text("1")
    staff_page.click("nav >> text=Alerts")
    alert = Alert.objects.get()
    card = staff_page.locator(f"#alert-{alert.pk}")
    expect(card).to_contain_text("Rivera, Jordan")
    expect(card).to_contain_text("Suicide item above 0")
    staff_page.screenshot(path=f"{SHOTS}/selfreport-inbox.png", full_page=True)
    card.locator("button:has-text('Acknowledge')").click()
    expect(staff_page.locator(f"#alert-{alert.pk} .sr-ack")).to_contain_text("Acknowledged by")
    staff_page.fill(f"#action-{alert.pk}", "Called patient; safety plan; seen same day.")
    staff_page.click(f"#alert-{alert.pk} button:has-text('Record action')")
    expect(staff_page.locator("body")).to_contain_text("Action recorded")
    staff_page.screenshot(path=f"{SHOTS}/selfreport-inbox-closed.png", full_page=True)
    staff_page.goto(f"{live_server.url}/selfreport/patient/{reachable.pk}/")
    expect(staff_page.locator("table").first).to_contain_text("Mild")
    staff_page.screenshot(path=f"{SHOTS}/selfreport-responses.png", full_page=True)
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician and alert.action_by == clinician
    staff_page.close()
