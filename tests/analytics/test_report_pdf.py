"""`ketacare analytics report --format pdf --out FILE`: the PDF holds the numbers of the
JSON report of the same data, the dashboard's two charts, and the published benchmarks.
Pages are rendered to $KETACARE_SCREENSHOTS/report-shots for looking at."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest

from ketacare.analytics.published import BENCHMARKS
from ketacare.analytics.report_pdf import report_pdf
from ketacare.analytics.synth import synthesise
from tests.pdf import pdf_pages, pdf_text, pdf_to_png

SHOTS = Path(os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())) / "report-shots"
RUN = "import sys; from ketacare.cli import main; sys.exit(main())"
RATES = ("rapid_response", "post_induction_response", "post_induction_partial",
         "post_induction_remission", "sustained_response_4w", "sustained_response_8w",
         "dropout_before_session_6")


def ketacare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True,
                          timeout=180)


def flat(text: str) -> str:
    """Text with every run of whitespace as one space (cells may wrap)."""
    return " ".join(text.split())


def printed(rate: dict[str, Any]) -> str:
    return (f"{rate['rate'] * 100:.1f}% ({rate['ci95_low'] * 100:.1f}-"
            f"{rate['ci95_high'] * 100:.1f}) {rate['k']}/{rate['n']}")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("report-pdf")
    data = base / "reg"
    synthesise(data, patients=400, clinics=4, seed=11)
    out = {"data": data, "json": base / "report.json", "pdf": base / "report.pdf",
           "csv": base / "report.csv"}
    for fmt in ("json", "pdf", "csv"):
        done = ketacare("analytics", "report", "--data", str(data), "--format", fmt,
                        "--out", str(out[fmt]))
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # written to the file, not to stdout
    return out


@pytest.fixture(scope="module")
def report(files: dict[str, Path]) -> dict[str, Any]:
    return json.loads(files["json"].read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def pdf(files: dict[str, Path]) -> bytes:
    data = files["pdf"].read_bytes()
    assert pdf_to_png(data, SHOTS, "outcome-report")
    return data


def test_pdf_holds_the_numbers_of_the_json_report(pdf: bytes, report: dict[str, Any]) -> None:
    text = flat(pdf_text(pdf))
    phq9 = next(r for r in report["rows"] if (r["instrument"], r["condition"]) == ("phq9", "all"))
    post = phq9["post_induction_response"]
    assert post["n"] > 100
    assert printed(post) in text  # e.g. "50.9% (45.1-56.7) 144/283"
    for row in report["rows"]:
        for rate in RATES:
            if row[rate]["n"]:
                assert printed(row[rate]) in text, (row["instrument"], row["condition"], rate)
    until = datetime.fromisoformat(report["data_until"]).astimezone(UTC)
    assert f"Data until: {until:%Y-%m-%d %H:%M} UTC" in text
    assert "Engine: duckdb" in text and "Generated: " in text
    if "source" in report:
        assert f"Source: {report['source']}" in text
    for definition in ("baseline", "post_induction", "dropout", "sustained", "retention"):
        assert flat(report["definitions"][definition]) in text
    assert "PHQ-9 10, GAD-7 10, PCL-5 33" in text
    for name in ("PHQ-9", "GAD-7", "PCL-5", "QIDS-SR16", "All conditions", "Depression",
                 "PTSD", "Anxiety"):
        assert name in text


def test_pdf_embeds_both_charts(pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2  # time to response and the retention funnel
    for image in images:
        width, height = image.image.size
        assert width > 900 and height > 350  # rendered at scale 2, sharp on paper
    text = flat(pdf_text(pdf))
    assert "Time to first response (Kaplan-Meier)" in text and "Retention" in text


def test_pdf_cites_the_benchmarks_and_numbers_its_pages(pdf: bytes) -> None:
    pages = pdf_pages(pdf)
    text = flat("\n".join(pages))
    for b in BENCHMARKS:
        assert flat(b.study) in text and flat(b.result) in text
    assert text.count("[check]") == sum(b.check for b in BENCHMARKS) + 1  # + the legend
    assert "Compare like with like" in text
    assert 2 <= len(pages) <= 5
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page


def test_json_and_csv_out_hold_what_stdout_would(files: dict[str, Path],
                                                 report: dict[str, Any]) -> None:
    done = ketacare("analytics", "report", "--data", str(files["data"]))
    assert json.loads(done.stdout) == report
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text())))
    assert len(rows) == len(report["rows"])
    assert not list(files["pdf"].parent.glob(".*.tmp"))  # written atomically, nothing left


def test_registry_sized_numbers_still_fit(report: dict[str, Any]) -> None:
    big = copy.deepcopy(report)
    row = next(r for r in big["rows"] if (r["instrument"], r["condition"]) == ("phq9", "all"))
    row["post_induction_response"].update(k=523456, n=1002345, rate=0.5222, ci95_low=0.5212,
                                          ci95_high=0.5232)
    data = report_pdf(big, title="KetaCare outcome report - a registry")
    pdf_to_png(data, SHOTS, "outcome-report-big")
    text = flat(pdf_text(data))
    assert "52.2% (52.1-52.3) 523456/1002345" in text


def test_an_empty_report_still_prints() -> None:
    data = report_pdf({"engine": "duckdb", "data_until": "", "definitions": {}, "rows": [],
                       "retention": []}, title="Outcomes - Clinic \u00c5 \u2013 Dvo\u0159\u00e1k")
    pdf_to_png(data, SHOTS, "outcome-report-empty")
    text = flat(pdf_text(data))
    assert "Not enough treated patients" in text
    assert "No patient has a follow-up assessment yet." in text
    assert "Outcomes - Clinic \u00c5 - Dvor\u00e1k" in text  # Latin-1 for the core fonts
    assert re.search(r"Page 1 of \d", text)
