"""Web benchmark (issue 17 item 1): a real `ketacare serve` on a demo clinic with N
synthetic patients, and a closed-loop load of `--clients` keep-alive clients per endpoint.

    python bench/web/run.py --db sqlite --patients 10000 --clients 8 --seconds 30
    python bench/web/run.py --db postgres --patients 100000 --clients 8 --seconds 30

Per endpoint: requests per second, p50/p95/p99 latency, the ratio of its throughput to a
trivial signed-in page (/calculator/) measured right before and after it (`--rounds`
interleaved rounds, see `interleaved`), and the SQL statements
one request runs (counted once per endpoint by Django's test Client in a subprocess,
bench/web/dbside.py). The server and its database come from the load harness
(bench/load/harness.py `server`); only 127.0.0.1 is bound. A request that does not
answer within --timeout ends that client's loop and is counted as a timeout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load.harness import Server, ketacare_bin, run_threads, server  # noqa: E402


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    auth: str = ""  # "session" or "bearer"
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    timeouts: int = 0
    seconds: float = 0.0
    # Per burst, each client's number of answered requests: clients whose connections
    # a server keeps on a crowded worker answer fewer (docs/performance.md, session 17).
    clients: list[list[int]] = field(default_factory=list)

    def rate(self) -> float:
        return len(self.latencies_s) / self.seconds if self.seconds else 0.0

    def ms(self, p: float) -> float | None:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return None
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    def unevenness(self) -> float | None:
        """The busiest client's requests over the least busy one's, in the most uneven
        burst (1.0: every client served alike)."""
        ratios = [max(c) / max(min(c), 1) for c in self.clients if c]
        return round(max(ratios), 2) if ratios else None

    def add(self, other: Result) -> None:
        self.latencies_s += other.latencies_s
        self.clients += other.clients
        self.seconds += other.seconds
        self.timeouts += other.timeouts
        for key, n in other.statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + n


def interleaved(measure: Callable[[Endpoint], Result], trivial: Endpoint,
                eps: list[Endpoint], rounds: int) -> tuple[dict[str, Result], dict[str, float]]:
    """Each round: the trivial page, then each endpoint followed by the trivial page again.
    An endpoint's ratio is its rate over the mean of the two trivial runs around it,
    averaged over the rounds, so a machine whose speed drifts during the run (a shared
    VM's did by 20-30% within an hour) moves both sides of each ratio alike. The figures
    of each endpoint, the trivial page's included, are pooled over its runs."""
    pooled = {ep.name: Result() for ep in [trivial, *eps]}
    ratios: dict[str, list[float]] = {ep.name: [] for ep in eps}
    for _ in range(rounds):
        before = measure(trivial)
        pooled[trivial.name].add(before)
        for ep in eps:
            result = measure(ep)
            after = measure(trivial)
            pooled[ep.name].add(result)
            pooled[trivial.name].add(after)
            around = (before.rate() + after.rate()) / 2
            if around:
                ratios[ep.name].append(result.rate() / around)
            before = after
    return pooled, {name: sum(r) / len(r) for name, r in ratios.items() if r}


def endpoints(t: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("trivial page (/calculator/)", "GET", "/calculator/", "session"),
        Endpoint("patient list, page 1", "GET", "/patients/", "session"),
        Endpoint("patient search (POST, one surname)", "POST", "/patients/", "session",
                 {"q": t["surname"]}),
        Endpoint("patient chart", "GET", f"/patients/{t['patient']}/", "session"),
        Endpoint("session-day page", "GET", f"/treatment/sessions/{t['session_id']}/", "session"),
        Endpoint("/fhir/Patient?_count=50", "GET", "/fhir/Patient?_count=50", "bearer"),
        Endpoint("/api/v1/patients?limit=50", "GET", "/api/v1/patients?limit=50", "bearer"),
        Endpoint("/fhir/Observation?patient=X", "GET",
                 f"/fhir/Observation?patient={t['patient']}", "bearer"),
        # Clinic-wide searches of the types derived from treatment and self-report rows.
        *(Endpoint(f"/fhir/{kind}?_count=50", "GET", f"/fhir/{kind}?_count=50", "bearer")
          for kind in ("Observation", "Encounter", "MedicationAdministration",
                       "QuestionnaireResponse")),
    ]


def dbside(srv: Server, *args: str, stdin: str | None = None, timeout: float = 900) -> Any:
    done = subprocess.run([sys.executable, "-m", "bench.web.dbside", *args], env=srv.env(),
                          cwd=srv.workdir, input=stdin, text=True, capture_output=True,
                          check=True, timeout=timeout)
    return json.loads(done.stdout.strip().splitlines()[-1])


def csrf_for(port: int, session: str) -> tuple[str, str]:
    """(cookie, form token) from the patient list page, for the search POST."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/patients/", headers={"Cookie": f"sessionid={session}"})
    response = conn.getresponse()
    body = response.read().decode()
    cookie = next(c.split(";")[0].split("=", 1)[1]
                  for c in response.msg.get_all("Set-Cookie") or []
                  if c.startswith("csrftoken="))
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert match, "no CSRF token on the patient list page"
    return cookie, match.group(1)


def load(port: int, ep: Endpoint, headers: dict[str, str], body: bytes | None,
         clients: int, seconds: float, timeout: float) -> Result:
    result = Result()
    counts: list[int] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        mine: list[float] = []
        statuses: dict[str, int] = {}
        timed_out = 0
        while time.monotonic() < until:
            began = time.monotonic()
            try:
                conn.request(ep.method, ep.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                timed_out += 1
                break
            mine.append(time.monotonic() - began)
            statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        conn.close()
        with lock:
            counts.append(len(mine))
            result.latencies_s += mine
            result.timeouts += timed_out
            for key, n in statuses.items():
                result.statuses[key] = result.statuses.get(key, 0) + n

    result.seconds = run_threads(loop, clients)
    result.clients.append(counts)
    return result


def request_parts(ep: Endpoint, t: dict[str, Any], csrf: tuple[str, str]
                  ) -> tuple[dict[str, str], bytes | None]:
    if ep.auth == "bearer":
        return {"Authorization": f"Bearer {t['token']}"}, None
    headers = {"Cookie": f"sessionid={t['session']}; csrftoken={csrf[0]}"}
    if ep.method != "POST":
        return headers, None
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers, urlencode({**ep.form, "csrfmiddlewaretoken": csrf[1]}).encode()


def run(args: argparse.Namespace) -> dict[str, Any]:
    with server(args.db) as srv:
        began = time.monotonic()
        subprocess.run([ketacare_bin(), "demo", "--patients", str(args.patients)],
                       env=srv.env(), cwd=srv.workdir, check=True, capture_output=True)
        generated_s = time.monotonic() - began
        t = dbside(srv, "targets")
        eps = [e for i, e in enumerate(endpoints(t))
               if i == 0 or not args.only or any(o in e.name for o in args.only)]
        queries: dict[str, Any] = {}
        if not args.skip_queries:
            spec = [{"name": e.name, "method": e.method, "path": e.path, "form": e.form,
                     "auth": f"Bearer {t['token']}" if e.auth == "bearer" else ""}
                    for e in eps]
            queries = dbside(srv, "queries", stdin=json.dumps(spec))
        srv.start()
        csrf = csrf_for(srv.port, t["session"])

        def measure(ep: Endpoint) -> Result:
            headers, body = request_parts(ep, t, csrf)
            return load(srv.port, ep, headers, body, args.clients, args.seconds, args.timeout)

        results, ratios = interleaved(measure, eps[0], eps[1:], args.rounds)
        srv.stop()
        verify = subprocess.run([ketacare_bin(), "audit", "verify"], env=srv.env(),
                                cwd=srv.workdir, capture_output=True, text=True)
    ratios[eps[0].name] = 1.0
    rows = []
    for ep in eps:
        r = results[ep.name]
        rows.append({
            "endpoint": ep.name, "req_s": round(r.rate(), 1),
            "p50_ms": r.ms(0.5), "p95_ms": r.ms(0.95), "p99_ms": r.ms(0.99),
            "vs_trivial": round(ratios[ep.name], 3) if ep.name in ratios else None,
            "queries": queries.get(ep.name, {}).get("queries"),
            "statuses": r.statuses, "timeouts": r.timeouts,
        })
    return {"db": args.db, "patients": t["patients"], "generated_s": round(generated_s, 1),
            "clients": args.clients, "seconds": args.seconds, "rounds": args.rounds,
            "search": {"surname_matches": t["surname_count"]},
            "audit_verify": (verify.stdout + verify.stderr).strip(), "rows": rows}


def table(report: dict[str, Any]) -> str:
    lines = [f"{report['db']}: {report['patients']} patients (generated in "
             f"{report['generated_s']} s), {report['clients']} clients, "
             f"{report['seconds']} s per run, {report['rounds']} interleaved rounds (ratios "
             "against the trivial page's runs around each endpoint's); "
             f"audit verify: {report['audit_verify']}",
             "", "| endpoint | req/s | p50 ms | p95 ms | p99 ms | vs trivial | SQL queries |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in report["rows"]:
        ratio = "-" if r["vs_trivial"] is None else f"{100 * r['vs_trivial']:.0f}%"
        note = f" ({r['timeouts']} timed out)" if r["timeouts"] else ""
        bad = {k: v for k, v in r["statuses"].items() if k != "200"}
        note += f" statuses {bad}" if bad else ""
        lines.append(f"| {r['endpoint']}{note} | {r['req_s']} | {r['p50_ms'] or '-'} | "
                     f"{r['p95_ms'] or '-'} | {r['p99_ms'] or '-'} | {ratio} | "
                     f"{'-' if r['queries'] is None else r['queries']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of every endpoint, each run between two runs of the "
                             "trivial page")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds a client waits for one answer")
    parser.add_argument("--skip-queries", action="store_true",
                        help="do not count SQL statements (slow endpoints at 100k)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="only the endpoints whose name contains TEXT (repeatable; the "
                             "trivial page always runs)")
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    args = parser.parse_args(argv)
    report = run(args)
    print(json.dumps(report, indent=1) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
