"""Two versions of the code under the same load, on one database: short bursts of each
endpoint alternate between a server running this checkout (new) and one running another
checkout (old), so a machine whose speed drifts moves both alike.

    git worktree add /tmp/old <commit>
    ketacare demo --patients 100000      # on DATABASE_URL, once
    python bench/web/ab.py --old /tmp/old --only chart --only /fhir/Observation

DATABASE_URL and KETACARE_VAR_DIR name the database both servers use (a copy built by
`ketacare demo --patients N`; the load writes audit entries to it). Per endpoint: requests
per second and p95 of each version, pooled over `--rounds` rounds of `--seconds` bursts
(the order alternates every round), new/old, and how unevenly each server served the
clients (the busiest client's requests over the least busy one's, worst burst)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load.harness import answers_health, free_port, ketacare_bin  # noqa: E402
from bench.web.run import Result, csrf_for, endpoints, load, request_parts  # noqa: E402

NEW = Path(__file__).resolve().parents[2]


def env(checkout: Path) -> dict[str, str]:
    return {**os.environ, "KETACARE_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(checkout / "src"), str(checkout)])}


@contextlib.contextmanager
def serving(checkout: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([ketacare_bin(), "serve", "--host", "127.0.0.1", "--port",
                             str(port)], env=env(checkout), cwd=checkout,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        if not answers_health(port, 120):
            raise RuntimeError(f"the server of {checkout} did not answer /health")
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the other checkout")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="endpoints whose name contains TEXT (repeatable)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5, help="seconds per burst")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    done = subprocess.run([sys.executable, "-m", "bench.web.dbside", "targets"], env=env(NEW),
                          cwd=NEW, capture_output=True, text=True, check=True)
    t = json.loads(done.stdout.strip().splitlines()[-1])
    eps = [e for e in endpoints(t) if not args.only or any(o in e.name for o in args.only)]
    print(f"{t['patients']} patients, {args.clients} clients, {args.rounds} rounds of "
          f"{args.seconds} s per version; new: {NEW}, old: {args.old}")
    with serving(NEW) as new, serving(args.old.resolve()) as old:
        csrf = {port: csrf_for(port, t["session"]) for port in (new, old)}
        for ep in eps:
            pooled = {new: Result(), old: Result()}
            for port in (new, old):  # warm-up
                load(port, ep, *request_parts(ep, t, csrf[port]), args.clients, 2, 120)
            for r in range(args.rounds):
                for port in (new, old) if r % 2 == 0 else (old, new):
                    pooled[port].add(load(port, ep, *request_parts(ep, t, csrf[port]),
                                          args.clients, args.seconds, 120))
            a, b = pooled[new], pooled[old]
            print(f"| {ep.name} | new {a.rate():.1f}/s p95 {a.ms(0.95)} ms | old "
                  f"{b.rate():.1f}/s p95 {b.ms(0.95)} ms | new/old {a.rate() / b.rate():.3f} "
                  f"| clients' spread new {a.unevenness()}, old {b.unevenness()} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
