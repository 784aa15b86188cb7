"""A patient's score trajectories, gathered once for every place that draws them: the
chart's summary tab, the self-report page and the progress letter. Each instrument with
scored responses gets its points, the sessions (with dose) and the alerts raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from ketacare.charts import png, svg
from ketacare.charts.trajectory import AlertMark, points_from, trajectory_chart
from ketacare.clinical.instruments import Instrument, get
from ketacare.compiled_reads import CompiledRead, CompiledValues
from ketacare.patients.models import Patient
from ketacare.treatment.models import Dose

from .models import Alert, Response

# Read on every chart page (ketacare.compiled_reads).
_responses = CompiledRead(lambda patient_id: Response.objects.filter(patient_id=patient_id))
_alerts = CompiledRead(lambda patient_id: Alert.objects.filter(patient_id=patient_id))
_doses = CompiledValues(lambda patient_id: (
    Dose.objects.filter(session__course__patient_id=patient_id).order_by("started_at")
    .values_list("started_at", "session__number", "dose_mg")))


@dataclass(frozen=True)
class Trajectory:
    instrument: Instrument
    points: list[tuple[datetime, int]]
    sessions: list[tuple[datetime, str]]
    alerts: list[AlertMark]
    zone: tzinfo

    def svg(self, *, width: int = 820, height: int = 260) -> str | None:
        return svg(trajectory_chart, self.instrument, self.points, sessions=self.sessions,
                   alerts=self.alerts, zone=self.zone, width=width, height=height)

    def png(self, *, width: int, height: int) -> bytes:
        image = png(trajectory_chart, self.instrument, self.points, sessions=self.sessions,
                    alerts=self.alerts, zone=self.zone, width=width, height=height)
        assert image is not None  # trajectory_chart always draws
        return image

    @property
    def caption(self) -> str:
        """What the chart's marks mean, for what this chart draws (page and letter)."""
        parts = ["Dashed lines: sessions with the dose given." if self.sessions else "",
                 "Shaded bands: severity." if self.instrument.bands else "",
                 "Red rings: responses that raised an alert." if self.alerts else ""]
        return " ".join(p for p in parts if p)


def session_marks(patient: Patient) -> list[tuple[datetime, str]]:
    """(dose start, "S3 35 mg") for every dose the patient was given."""
    return [(at, f"S{number} {float(mg):g} mg") for at, number, mg in _doses(patient.pk)]


def patient_trajectories(patient: Patient,
                         responses: list[Response] | None = None) -> list[Trajectory]:
    """One trajectory per instrument with a total, in instrument order; `responses` may be
    passed when the caller has already loaded them (all of the patient's). A patient with
    no scored answer costs one read; the doses and alerts are read only for a chart."""
    if responses is None:
        responses = _responses(patient.pk)
    drawn = []
    for instrument_id in sorted({r.instrument for r in responses}):
        instrument = get(instrument_id)
        points = points_from([r for r in responses if r.instrument == instrument_id])
        if instrument.has_total and points:
            drawn.append((instrument, points))
    if not drawn:
        return []
    marks = session_marks(patient)
    by_id = {r.pk: r for r in responses}
    alerts = _alerts(patient.pk)
    for alert in alerts:  # the answer is one of `responses`: no join to read it again
        alert.response = by_id.get(alert.response_id) or alert.response
    out = []
    for instrument, points in drawn:
        flagged = [AlertMark(a.response.submitted_at, a.response.total, a.get_kind_display())
                   for a in alerts
                   if a.response.instrument == instrument.id and a.response.total is not None]
        out.append(Trajectory(instrument, points, marks, flagged, patient.clinic.zone))
    return out
