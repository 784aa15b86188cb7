"""The patient list's rows (`{% patient_rows %}`, built in Python for speed): each links to
the chart, shows the condition and status labels, and escapes whatever a name holds."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_a_row_links_the_chart_and_escapes_the_name(client, clinician, clinic_a) -> None:
    odd = Patient.objects.create(
        clinic=clinic_a, mrn="M-<1>", given_name='Ann "A" & co', family_name="<b>O'Neil</b>",
        date_of_birth=date(1980, 2, 29), sex_at_birth="female", primary_condition="ptsd")
    plain = Patient.objects.create(
        clinic=clinic_a, mrn="M-2", given_name="Bo", family_name="Zed",
        date_of_birth=date(1990, 1, 1), sex_at_birth="male", status="discharged")
    client.force_login(clinician)
    page = client.get("/patients/").content.decode()
    rows = re.findall(r"<tr><td><a .*?</tr>", page)
    assert rows == [
        f'<tr><td><a href="/patients/{odd.pk}/"><strong>&lt;b&gt;O&#x27;Neil&lt;/b&gt;'
        "</strong>, Ann &quot;A&quot; &amp; co</a></td><td>M-&lt;1&gt;</td>"
        '<td>1980-02-29</td><td><span class="tag cond-ptsd">PTSD</span></td>'
        '<td><span class="status st-referred">Referred</span></td></tr>',
        f'<tr><td><a href="/patients/{plain.pk}/"><strong>Zed</strong>, Bo</a></td>'
        '<td>M-2</td><td>1990-01-01</td><td><span class="muted">–</span></td>'
        '<td><span class="status st-discharged">Discharged</span></td></tr>',
    ]
    assert "<b>O'Neil</b>" not in page


def test_no_patient_matches(client, clinician, clinic_a) -> None:
    client.force_login(clinician)
    page = client.post("/patients/", {"q": "Nobody"}).content.decode()
    assert '<tr><td colspan="5" class="muted">No patients match.</td></tr>' in page
