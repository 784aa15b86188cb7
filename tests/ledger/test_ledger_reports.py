"""Period reports: opening and closing balances, totals per kind and discrepancies, with
period edges in the clinic's time zone; the CSV has every entry, the PDF is readable."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.conftest import cosigned

from ketacare.audit.models import AuditEvent
from ketacare.ledger import actions, reports
from ketacare.ledger.report_pdf import to_pdf

pytestmark = pytest.mark.django_db

EXPIRY = date(2027, 1, 31)


def _at(monkeypatch, *args: int) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(*args, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def history(monkeypatch, vial_item, device_item, nurse_a, prescriber_a, patient_a,
            as_staff):  # type: ignore[no-untyped-def]
    """Clinic A is in New York. 2025-03-10 03:00 UTC is 23:00 on the 9th there."""
    nurse, prescriber = as_staff(nurse_a), as_staff(prescriber_a)
    _at(monkeypatch, 2025, 3, 1, 15)
    actions.receive(nurse, vial_item, vials=2, lot="L1", expiry=EXPIRY, supplier="Hikma",
                    invoice="INV-77")
    actions.receive(nurse, device_item, devices=6, lot="E1", expiry=EXPIRY,
                    supplier="Janssen", invoice="J-9")
    _at(monkeypatch, 2025, 3, 10, 3)
    actions.administer(nurse, vial_item, "2", patient_a, 501, "L1")
    _at(monkeypatch, 2025, 3, 10, 16)
    actions.waste(nurse, vial_item, "0.5", cosigned(nurse, prescriber_a, "waste_witness"),
                  "denaturant", lot="L1",
                  note="=HYPERLINK(evil)")
    actions.administer(nurse, device_item, patient=patient_a, lot="E1", devices=3)
    _at(monkeypatch, 2025, 3, 11, 16)
    actions.count(nurse, vial_item, "17", "biennial",
                  witness=cosigned(nurse, prescriber_a, "count_witness"))
    _at(monkeypatch, 2025, 3, 11, 17)
    actions.adjust(prescriber, vial_item, "-0.5", "Spill found on recount")
    _at(monkeypatch, 2025, 3, 20, 14)
    actions.administer(nurse, vial_item, "1", patient_a, lot="L1")
    monkeypatch.undo()
    return {"vial": vial_item, "device": device_item}


def test_period_in_clinic_zone(history, clinic_a) -> None:
    report = reports.build(clinic_a, date(2025, 3, 10), date(2025, 3, 11), history["vial"])
    (period,) = report.items
    assert period.opening == Decimal(18)  # the 03:00 UTC dose was on the 9th in New York
    assert period.closing == Decimal(17)
    assert period.totals == {"waste": Decimal("-0.5"), "adjustment": Decimal("-0.5")}
    assert [e.kind for e in period.entries] == ["waste", "count", "adjustment"]
    assert [e.discrepancy for e in period.discrepancies] == [Decimal("-0.5")]
    assert period.reconciles
    day9 = reports.build(clinic_a, date(2025, 3, 9), date(2025, 3, 9), history["vial"])
    assert day9.items[0].totals == {"administer": Decimal(-2)}


def test_whole_clinic_report_covers_every_item(history, clinic_a) -> None:
    report = reports.build(clinic_a, date(2025, 3, 1), date(2025, 3, 31))
    by_label = {p.item.label: p for p in report.items}
    devices = by_label[history["device"].label]
    assert devices.opening == 0 and devices.closing == 3
    assert devices.totals == {"receive": 6, "administer": -3}
    vials = by_label[history["vial"].label]
    assert vials.opening == 0 and vials.closing == 16 and vials.reconciles
    assert report.discrepancy_count == 1


def test_csv_has_every_entry_in_clinic_time_and_no_names(history, clinic_a) -> None:
    report = reports.build(clinic_a, date(2025, 3, 1), date(2025, 3, 31), history["vial"])
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(report))))
    assert [r["kind"] for r in rows] == ["receive", "administer", "waste", "count",
                                         "adjustment", "administer"]
    dose = rows[1]
    assert dose["recorded_at"] == "2025-03-09T23:00:00-04:00"
    assert dose["delta"] == "-2" and dose["delta_mg"] == "-100" and dose["unit"] == "mL"
    assert dose["balance_after"] == "18" and dose["balance_after_mg"] == "900"
    assert dose["patient_mrn"] == "A-0001" and dose["session_ref"] == "501"
    waste = rows[2]
    assert waste["witness"] == "Priya Tester" and waste["method"] == "denaturant"
    assert waste["note"] == "'=HYPERLINK(evil)"  # not run as a formula
    count = rows[3]
    assert count["counted"] == "17" and count["discrepancy"] == "-0.5"
    assert count["count_kind"] == "biennial"
    assert rows[0]["invoice"] == "INV-77" and rows[0]["vials"] == "2"
    body = reports.to_csv(report)
    assert "Rivera" not in body and "Jordan" not in body


def _pdf_text(data: bytes) -> str:
    """The text drawn on the pages: the content streams, inflated (no PDF library needed)."""
    chunks = []
    # Up to "endstream" without trimming: the compressed bytes may themselves end in a
    # CR or LF; a decompressor object leaves the end-of-line after the data unused.
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompressobj().decompress(stream).decode("latin-1"))
        except zlib.error:
            chunks.append(stream.decode("latin-1"))
    return "\n".join(chunks)


def test_pdf_is_a_readable_report(history, clinic_a) -> None:
    report = reports.build(clinic_a, date(2025, 3, 10), date(2025, 3, 11), history["vial"],
                           generated_by="Ada Tester")
    data = to_pdf(report)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    text = _pdf_text(data)
    for expected in ("Controlled-substance ledger - Clinic A",
                     "Period 2025-03-10 to 2025-03-11", "Ada Tester", "Opening balance",
                     "18 mL", "900 mg", "Total wasted", "Total adjustment", "Closing balance",
                     "17 mL", "850 mg", "Count discrepancies", "Biennial inventory",
                     "-0.5 mL", "Spill found on recount", "Priya Tester", "(Page 1 of ) Tj (1)",
                     "1 inventory count\\(s\\) in this period disagree"):
        assert expected in text, expected
    assert "Rivera" not in text


def test_pdf_of_all_items_has_a_page_each(history, clinic_a) -> None:
    data = to_pdf(reports.build(clinic_a, date(2025, 3, 1), date(2025, 3, 31)))
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 2
    text = _pdf_text(data)
    assert "Esketamine nasal 28 mg device" in text and "3 devices" in text
    assert "84 mg" in text


def test_downloads_are_attachments_and_audited(history, client, nurse_a) -> None:
    client.force_login(nurse_a)
    item = history["vial"].pk
    response = client.get(f"/ledger/report/ledger.csv?start=2025-03-01&end=2025-03-31&item={item}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="ledger-20250301-20250331.csv"' in response["Content-Disposition"]
    assert b"Rivera" not in response.content
    response = client.get(f"/ledger/report/ledger.pdf?start=2025-03-01&end=2025-03-31&item={item}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    exports = AuditEvent.objects.filter(action="export", object_type="ledger_report")
    assert [e.detail["format"] for e in exports] == ["csv", "pdf"]
    assert exports[0].detail["entries"] == 6
