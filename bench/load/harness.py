"""Load-and-crash harness: a real `ketacare serve` (gunicorn) on SQLite or PostgreSQL, a
bounded mixed load from local clients, optionally kill -9 of the whole server mid-run and a
restart, then an account of every write the clients saw acknowledged.

    python bench/load/harness.py --db sqlite --clients 8 --seconds 60
    python bench/load/harness.py --db postgres --clients 4 --seconds 30 --kill-at 12
    python bench/load/harness.py --db postgres --audit-throughput --clients 8 --seconds 20
    (the audited read against /health, and against the same read on bench.load.noaudit's
    server, which writes no audit entry)

The mix per client (each owns one patient and its own self-report links): staff chart page,
JSON API patient, FHIR Patient read, FHIR QuestionnaireResponse create (If-None-Exist with a
unique identifier and a unique `authored`, by which it is found again), self-report save
(one answer) and submit (all answers). A write sent while the server died has an unknown
outcome: it is retried once after the restart (the same identifier / the same link) and
must then exist exactly once.

Prints one JSON object: requests, per-status counts, 5xx, acknowledged writes, lost,
duplicated, and the result of `ketacare audit verify`. Only ever binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
# Where the PostgreSQL runs create (and drop) their own database, named PREFIX_PID_PORT.
PG_BASE = os.environ.get("KETACARE_LOAD_PG", "postgres://postgres@127.0.0.1:5432")
PG_PREFIX = os.environ.get("KETACARE_LOAD_PG_PREFIX", "ketacare_load")
# What bench.load.noaudit wants to see before it serves without writing audit entries.
NO_AUDIT_CONFIRM = "throwaway-bench-database"
PHQ9_ITEMS = 9
IDENTIFIER_SYSTEM = "urn:ketacare:load"
# Operation -> weight in the mix.
MIX = {"chart": 25, "api": 20, "fhir_read": 15, "fhir_write": 15, "save": 20, "submit": 5}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers_health(port: int, seconds: float) -> bool:
    """Whether a server on `port` answers /health with 200 within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return True
        time.sleep(0.2)
    return False


def ketacare_bin() -> str:
    return str(Path(sys.executable).with_name("ketacare"))


@dataclass
class Server:
    """One database and a `ketacare serve` on it, all under `workdir`."""

    db: str
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    db_name: str = ""

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.db == "sqlite":
            url = f"sqlite:///{self.workdir / 'load.sqlite3'}"
        else:
            url = f"{PG_BASE}/{self.db_name}"
        src = str(ROOT / "src")
        env.update({
            "DATABASE_URL": url, "KETACARE_VAR_DIR": str(self.workdir / "var"),
            "KETACARE_LOG_LEVEL": "WARNING", "KETACARE_EMAIL_BACKEND":
            "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONPATH": os.pathsep.join([src, str(ROOT), env.get("PYTHONPATH", "")]),
        })
        return env

    def prepare(self) -> None:
        if self.db == "postgres":
            self.db_name = f"{PG_PREFIX}_{os.getpid()}_{self.port}"
            self._psql(f"CREATE DATABASE {self.db_name}")
        self._run([ketacare_bin(), "migrate", "--noinput", "-v", "0"])

    def drop(self) -> None:
        if self.db == "postgres" and self.db_name:
            self._psql(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")

    def _psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def _run(self, args: list[str], stdin: str | None = None, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=self.env(), cwd=self.workdir, input=stdin, text=True,
                              capture_output=True, check=check, timeout=600)

    def dbside(self, *args: str, stdin: str | None = None) -> Any:
        done = self._run([sys.executable, "-m", "bench.load.dbside", *args], stdin=stdin)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def audit_verify(self) -> str:
        done = self._run([ketacare_bin(), "audit", "verify"], check=False)
        return (done.stdout + done.stderr).strip()

    @contextlib.contextmanager
    def lock_waits(self) -> Iterator[list[int]]:
        """PostgreSQL: samples, every 0.2 s, of how many sessions wait for an audit lane."""
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            import psycopg

            with psycopg.connect(f"{PG_BASE}/{self.db_name}", autocommit=True) as conn:
                while not stop.wait(0.2):
                    row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = "
                                       "'advisory' AND classid = 7260519 AND NOT granted"
                                       ).fetchone()
                    samples.append(int(row[0]) if row else 0)

        thread = threading.Thread(target=sample) if self.db == "postgres" else None
        if thread is not None:
            thread.start()
        try:
            yield samples
        finally:
            stop.set()
            if thread is not None:
                thread.join()

    def start(self, no_audit: bool = False) -> None:
        """`ketacare serve`; with no_audit, bench.load.noaudit's server that writes no audit
        entry (the baseline of --audit-throughput, never a production server)."""
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 - lives with the process
        env = self.env()
        command = [ketacare_bin(), "serve"]
        if no_audit:
            env.update({"KETACARE_BENCH_NO_AUDIT": NO_AUDIT_CONFIRM,
                        "KETACARE_LOAD_PG_PREFIX": PG_PREFIX})
            command = [sys.executable, "-m", "bench.load.noaudit"]
        self.proc = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, cwd=self.workdir, stdout=log, stderr=log, start_new_session=True)
        if not answers_health(self.port, 60):
            raise RuntimeError(f"server did not answer /health; see {self.workdir}/server.log")

    def kill9(self) -> None:
        """SIGKILL the gunicorn master and every worker at once: no graceful anything."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


class Unknown(Exception):
    """No answer: the connection failed (the server is down or was killed)."""


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    ops: Counter[str] = field(default_factory=Counter)
    acked: int = 0
    fhir: list[list[Any]] = field(default_factory=list)
    submits: list[list[Any]] = field(default_factory=list)
    saves: list[list[Any]] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_s) or [0.0]
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


class LoadClient:
    def __init__(self, port: int, seed: dict[str, Any], mine: dict[str, Any], n: int,
                 tally: Tally, lock: threading.Lock, down: threading.Event) -> None:
        self.port, self.n, self.tally, self.lock, self.down = port, n, tally, lock, down
        self.token, self.session = seed["token"], seed["session"]
        self.patient, self.links = mine["patient"], list(mine["links"])
        self.random = random.Random(n)
        self.conn: http.client.HTTPConnection | None = None
        self.csrf = ""
        self.writes = 0
        self.retry: list[tuple[str, Any]] = []  # writes with an unknown outcome

    # http ------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        began = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
            with self.lock:
                self.tally.latencies_s.append(time.monotonic() - began)
        except (OSError, http.client.HTTPException) as exc:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            # While the server is being killed this is expected; otherwise it is a failure
            # as bad as a 5xx (a worker died or the request hung past the client timeout).
            self.count("no answer (killed)" if self.down.is_set() else "no answer")
            raise Unknown(str(exc)) from None
        self.count(f"{response.status // 100}xx")
        if response.status >= 500:
            with self.lock:
                self.tally.server_errors.append(f"{method} {path.split('?')[0][:40]} "
                                                f"{response.status}")
        for cookie in response.msg.get_all("Set-Cookie") or []:
            if cookie.startswith("csrftoken="):
                self.csrf = cookie.split(";")[0].split("=", 1)[1]
        return response.status, data

    def count(self, key: str) -> None:
        with self.lock:
            self.tally.statuses[key] += 1

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def form(self, fields: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        if not self.csrf:
            self.call("GET", f"/r/{self.links[0]}/")
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf}).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded",
                      "Cookie": f"csrftoken={self.csrf}"}

    # operations ------------------------------------------------------------------------

    def chart(self) -> None:
        self.call("GET", f"/patients/{self.patient}/",
                  headers={"Cookie": f"sessionid={self.session}"})

    def api(self) -> None:
        self.call("GET", f"/api/v1/patients/{self.patient}", headers=self.bearer())

    def fhir_read(self) -> None:
        self.call("GET", f"/fhir/Patient/{self.patient}", headers=self.bearer())

    def fhir_write(self, replay: tuple[str, str] | None = None) -> None:
        ident, authored = replay or (uuid.uuid4().hex, self._authored())
        body = {
            "resourceType": "QuestionnaireResponse", "status": "completed",
            "identifier": {"system": IDENTIFIER_SYSTEM, "value": ident},
            "questionnaire": "http://loinc.org/q/44249-1",
            "subject": {"reference": f"Patient/{self.patient}"}, "authored": authored,
            "item": [{"linkId": str(i), "answer": [{"valueInteger": 0}]}
                     for i in range(1, PHQ9_ITEMS + 1)],
        }
        headers = {**self.bearer(), "Content-Type": "application/fhir+json",
                   "If-None-Exist": f"identifier={IDENTIFIER_SYSTEM}|{ident}"}
        try:
            status, _ = self.call("POST", "/fhir/QuestionnaireResponse",
                                  json.dumps(body).encode(), headers)
        except Unknown:
            if replay is None:
                self.retry.append(("fhir_write", (ident, authored)))
            self.note("fhir", [self.patient, authored, False])
            return
        self.note("fhir", [self.patient, authored, status in (200, 201)])

    def _authored(self) -> str:
        # Unique per write, in the past: how the check finds it again.
        self.writes += 1
        when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.n * 1_000_000
                                                            + self.writes)
        return when.isoformat()

    def save(self) -> None:
        if not self.links:
            return
        item, value = self.random.randint(1, PHQ9_ITEMS - 1), self.random.randint(0, 3)
        body, headers = self.form({f"item_{item}": value})
        try:
            status, _ = self.call("POST", f"/r/{self.links[0]}/save", body, headers)
        except Unknown:
            self.note("saves", [self.links[0], item, value, False])
            return
        self.note("saves", [self.links[0], item, value, status == 200])

    def submit(self, replay: tuple[str, list[int]] | None = None) -> None:
        if not self.links and replay is None:
            return
        token, values = replay or (self.links.pop(0), [self.random.randint(0, 3)
                                                       for _ in range(PHQ9_ITEMS - 1)] + [0])
        body, headers = self.form({f"item_{i}": v for i, v in enumerate(values, start=1)})
        try:
            status, _ = self.call("POST", f"/r/{token}/submit", body, headers)
        except Unknown:
            if replay is None:
                self.retry.append(("submit", (token, values)))
            self.note("submits", [token, values, False])
            return
        self.note("submits", [token, values, status == 200])

    def note(self, kind: str, row: list[Any]) -> None:
        with self.lock:
            getattr(self.tally, kind).append(row)
            self.tally.acked += bool(row[-1])

    def run(self, until: float) -> None:
        ops, weights = list(MIX), list(MIX.values())
        while time.monotonic() < until:
            if self.down.is_set():
                time.sleep(0.05)
                continue
            op = self.random.choices(ops, weights)[0]
            with self.lock:
                self.tally.ops[op] += 1
            with contextlib.suppress(Unknown):
                getattr(self, op)()

    def replay(self) -> None:
        """After the restart: each write whose answer was lost, sent once more."""
        for op, args in self.retry:
            with contextlib.suppress(Unknown):
                getattr(self, op)(replay=args)


def endpoint_rate(port: int, path: str, headers: dict[str, str], clients: int,
                  seconds: float) -> tuple[float, Counter[str]]:
    """Requests per second `clients` keep-alive clients get from one GET, and statuses."""
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local: Counter[str] = Counter()
        while time.monotonic() < until:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            local[str(response.status)] += 1
        with lock:
            statuses.update(local)

    seconds_taken = run_threads(loop, clients)
    return sum(statuses.values()) / seconds_taken, statuses


def run_threads(loop: Callable[[], None], clients: int) -> float:
    """`loop` in `clients` threads at once; the seconds until the last one ended."""
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


@contextlib.contextmanager
def server(db: str, keep: bool = False) -> Iterator[Server]:
    workdir = Path(tempfile.mkdtemp(prefix="ketacare-load-"))
    srv = Server(db, workdir)
    try:
        srv.prepare()
        yield srv
    finally:
        srv.stop()
        srv.drop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def run_load(db: str, clients: int, seconds: float, kill_at: float | None,
             links: int = 40) -> dict[str, Any]:
    with server(db) as srv:
        seed = srv.dbside("seed", str(clients), str(links))
        srv.start()
        tally, lock, down = Tally(), threading.Lock(), threading.Event()
        workers = [LoadClient(srv.port, seed, mine, n, tally, lock, down)
                   for n, mine in enumerate(seed["clients"])]
        started = time.monotonic()
        until = started + seconds
        threads = [threading.Thread(target=w.run, args=(until,)) for w in workers]
        for thread in threads:
            thread.start()
        restart_s = None
        if kill_at is not None:
            time.sleep(max(0.0, started + kill_at - time.monotonic()))
            down.set()
            srv.kill9()
            began = time.monotonic()
            srv.start()
            restart_s = round(time.monotonic() - began, 1)
            for w in workers:  # connections to the dead server are gone
                w.conn = None
            down.clear()
        for thread in threads:
            thread.join()
        for w in workers:
            w.replay()
        elapsed = time.monotonic() - started
        srv.stop()
        log = (srv.workdir / "server.log").read_text(errors="replace").splitlines()
        log_problems = [line[:160] for line in log
                        if "WORKER TIMEOUT" in line or "Traceback" in line or "Error" in line]
        ledger = {"fhir": tally.fhir, "submits": tally.submits, "saves": tally.saves}
        found = srv.dbside("check", stdin=json.dumps(ledger))
        requests = sum(tally.statuses.values())
        return {
            "db": db, "clients": clients, "seconds": round(elapsed, 1),
            "killed_at_s": kill_at, "restart_s": restart_s,
            "requests": requests, "requests_per_s": round(requests / elapsed, 1),
            "latency_s": {"p50": tally.percentile(0.5), "p95": tally.percentile(0.95),
                          "max": tally.percentile(1.0)},
            "statuses": dict(tally.statuses), "ops": dict(tally.ops),
            "5xx": tally.statuses["5xx"], "5xx_examples": sorted(set(tally.server_errors))[:5],
            "no_answer_while_up": tally.statuses["no answer"],
            "server_log_problems": log_problems[:5],
            "writes_sent": len(tally.fhir) + len(tally.submits) + len(tally.saves),
            "acknowledged_writes": tally.acked,
            "replayed_unknown": sum(len(w.retry) for w in workers),
            "lost": found["lost"], "duplicated": found["duplicated"],
            "problems": found["problems"], "audit_verify": srv.audit_verify(),
        }


def run_audit_throughput(db: str, clients: int, seconds: float, rounds: int = 5
                         ) -> dict[str, Any]:
    """/health and an audited read (GET /api/v1/patients/ID, one audit entry each) on
    `ketacare serve`, and the same read on the bench-only server that writes no audit entry
    (bench.load.noaudit: the same request, authentication and lookup), both servers up at
    once on the same database. The three are measured in `rounds` short turns each, in a
    rotating order, so a change in the machine's load mid-run hits all three alike (on a
    shared machine one long phase each gave ratios that swung with the neighbours). The
    entries written during the run equal the audited requests: the baseline wrote none."""
    with server(db) as srv:
        seed = srv.dbside("seed", "1", "0")
        bearer = {"Authorization": f"Bearer {seed['token']}"}
        patient = f"/api/v1/patients/{seed['clients'][0]['patient']}"
        baseline = Server(db, srv.workdir, db_name=srv.db_name)
        try:
            srv.start()
            baseline.start(no_audit=True)
            for port in (srv.port, baseline.port):
                endpoint_rate(port, "/health", {}, clients, 2)  # warm up every worker
            entries_before = _entries(srv.audit_verify())
            runs = [("health", srv.port, "/health", {}),
                    ("api_patient_audited", srv.port, patient, bearer),
                    ("api_patient_no_audit", baseline.port, patient, bearer)]
            done: dict[str, list[Any]] = {name: [0.0, Counter(), 0] for name, *_ in runs}
            for turn in range(rounds):
                for name, port, path, headers in runs[turn % 3:] + runs[:turn % 3]:
                    with srv.lock_waits() as waits:
                        began = time.monotonic()
                        _, statuses = endpoint_rate(port, path, headers, clients,
                                                    seconds / rounds)
                    done[name][0] += time.monotonic() - began
                    done[name][1].update(statuses)
                    done[name][2] = max(done[name][2], *waits, 0)
        finally:
            baseline.stop()
            srv.stop()
        verified = srv.audit_verify()
        rates = {name: {"req_per_s": round(sum(statuses.values()) / took, 1),
                        "statuses": dict(statuses), "max_waiting_on_audit_lock": waits}
                 for name, (took, statuses, waits) in done.items()}
        audited = rates["api_patient_audited"]["req_per_s"]
        return {
            "db": db, "clients": clients, "seconds_each": seconds, "rounds": rounds, **rates,
            "audited_vs_no_audit": round(audited / rates["api_patient_no_audit"]["req_per_s"],
                                         2),
            "audited_vs_health": round(audited / rates["health"]["req_per_s"], 2),
            "entries_written": _entries(verified) - entries_before,
            "audited_requests": sum(done["api_patient_audited"][1].values()),
            "audit_verify": verified,
        }


def _entries(verify_output: str) -> int:
    """N from `audit verify`'s "OK: N entries, ..." (-1 when it did not verify)."""
    head = verify_output.split(" entries", 1)[0]
    return int(head.rsplit(" ", 1)[-1]) if verify_output.startswith("OK:") else -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kill-at", type=float, default=None,
                        help="kill -9 the server this many seconds in, then restart it")
    parser.add_argument("--audit-throughput", action="store_true",
                        help="measure the audited read against /health and an unaudited read")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 32 or not 1 <= args.seconds <= 600:
        parser.error("--clients 1-32 and --seconds 1-600 (a bounded load)")
    if args.audit_throughput:
        result = run_audit_throughput(args.db, args.clients, args.seconds)
    else:
        result = run_load(args.db, args.clients, args.seconds, args.kill_at)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
