"""Hand-built registries for the analytics tests: a few patients, written as Parquet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ketacare.analytics.schema import SCHEMAS, table_path

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
S = timedelta(seconds=1)


@dataclass
class Builder:
    rows: dict[str, list[dict[str, object]]] = field(
        default_factory=lambda: {name: [] for name in SCHEMAS}
    )

    def patient(
        self,
        pid: int,
        condition: str = "depression",
        sessions: int = 6,
        start: datetime = T0,
        gap: timedelta = 2 * D,
        course_id: int | None = None,
    ) -> None:
        course = course_id or pid
        if not any(p["patient_id"] == pid for p in self.rows["patients"]):
            self.rows["patients"].append(
                {
                    "patient_id": pid,
                    "clinic_id": 1,
                    "birth_year": 1980,
                    "sex": "F",
                    "primary_condition": condition,
                }
            )
        self.rows["courses"].append(
            {
                "course_id": course,
                "patient_id": pid,
                "protocol": "iv-induction-6",
                "route": "iv",
                "started_at": start,
            }
        )
        for n in range(sessions):
            self.rows["sessions"].append(
                {
                    "session_id": course * 100 + n,
                    "course_id": course,
                    "patient_id": pid,
                    "number": n + 1,
                    "started_at": start + n * gap,
                    "route": "iv",
                    "drug": "ketamine",
                    "dose_mg": 40.0,
                    "dose_mg_per_kg": 0.5,
                }
            )

    def score(self, pid: int, at: datetime, total: int, instrument: str = "phq9") -> None:
        self.rows["assessments"].append(
            {
                "patient_id": pid,
                "instrument": instrument,
                "completed_at": at,
                "total": total,
                "items": [0],
            }
        )

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in SCHEMAS.items():
            table = pa.Table.from_pylist(self.rows[name], schema=schema)
            pq.write_table(table, table_path(directory, name))
        return directory
