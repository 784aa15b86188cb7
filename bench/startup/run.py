"""Start-up benchmark (issue 17 item 7): how long a `ketacare` command takes from exec to
exit, and how much memory it peaks at, against a bare `python -c pass` measured in the same
run.

    python bench/startup/run.py [--repeat 5] [--src PATH] [--baseline-src PATH]

Commands: `ketacare score` (framework-free), and the Django ones an operator or cron runs:
`selfreport send-due --dry-run`, `check` (deployment checks, including the URL checks) and
`migrate --check`, on a fresh migrated SQLite database in a temporary KETACARE_VAR_DIR.
Rounds are interleaved (every command once per round), so a change in the machine's load
hits all of them alike. Per command: best wall time of the rounds, the CPU time (user+sys)
of that run, peak RSS (the largest of the rounds, `%M` of `/usr/bin/time`) and the wall time
as a multiple of `python -c pass`. Targets: Django commands < 0.7 s and < 120 MB, `score`
< 100 ms. `--baseline-src` measures another checkout's `src` (e.g. main before a change) in
the same rounds and adds the ratio. Bytecode is written in a warm-up run first (as a pip
install does), whatever PYTHONDONTWRITEBYTECODE says.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = "import sys; from ketacare.cli import main; sys.exit(main(sys.argv[1:]))"
BARE = "python -c pass"
SCORE = "ketacare score phq9 ..."
COMMANDS = {
    BARE: None,
    SCORE: ["score", "phq9", "1", "2", "0", "1", "2", "0", "1", "2", "0"],
    "ketacare selfreport send-due --dry-run": ["selfreport", "send-due", "--dry-run"],
    "ketacare check": ["check"],
    "ketacare migrate --check": ["migrate", "--check"],
}
SCORE_TARGET_S, DJANGO_TARGET_S, TARGET_MB = 0.1, 0.7, 120
TIME = shutil.which("time", path="/usr/bin:/bin")


@dataclass
class Runs:
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)

    def best(self) -> int:
        return min(range(len(self.wall_s)), key=self.wall_s.__getitem__)


def _argv(args: list[str] | None) -> list[str]:
    return [sys.executable, "-c", "pass" if args is None else RUN, *(args or [])]


def measure(args: list[str] | None, env: dict[str, str], runs: Runs) -> None:
    """One run: wall time here; CPU time and peak RSS from /usr/bin/time (the child's own
    `ru_maxrss` would count this process's memory: subprocess starts it with vfork)."""
    with tempfile.NamedTemporaryFile("r") as out:
        argv = [TIME, "-f", "%U %S %M", "-o", out.name, *_argv(args)] if TIME else _argv(args)
        start = time.perf_counter()
        code = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode
        runs.wall_s.append(time.perf_counter() - start)
        user, system, rss_kb = (out.read().split()[-3:] if TIME else ("nan",) * 3)
    runs.cpu_s.append(float(user) + float(system))
    runs.rss_mb.append(float(rss_kb) / 1024)
    runs.codes.add(code)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _env(src: Path, var: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(src.resolve()), "KETACARE_VAR_DIR": var}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--src", type=Path, default=ROOT / "src",
                        help="the `src` directory whose ketacare is measured (this checkout's)")
    parser.add_argument("--baseline-src", type=Path,
                        help="another `src` to measure in the same rounds, e.g. main's")
    opts = parser.parse_args()
    trees = {"": opts.src, **({"baseline": opts.baseline_src} if opts.baseline_src else {})}
    with tempfile.TemporaryDirectory(prefix="ketacare-startup-") as tmp:
        envs = {}
        for label, src in trees.items():
            var = Path(tmp, label or "this")
            var.mkdir()
            envs[label] = _env(src, str(var))
            subprocess.run(_argv(["migrate", "-v0"]), env=envs[label], check=True)
            for args in COMMANDS.values():  # warm-up: bytecode written, files cached
                measure(args, envs[label], Runs())
        print(f"python {sys.version.split()[0]}, {opts.repeat} rounds, "
              f"load average at start: {_loadavg()}")
        for label, src in trees.items():
            print(f"  {label or 'this'}: {src}")
        runs = {(label, name): Runs() for label in trees for name in COMMANDS}
        for _ in range(opts.repeat):
            for name, args in COMMANDS.items():
                for label in trees:
                    measure(args, envs[label], runs[label, name])
    print(f"load average at end: {_loadavg()}")
    for label in trees:
        report(label, {name: runs[label, name] for name in COMMANDS},
               {name: runs["baseline", name] for name in COMMANDS} if label == "" and
               "baseline" in trees else None)


def _target(name: str, r: Runs) -> str:
    if name == BARE:
        return "-"
    wall = r.wall_s[r.best()]
    if name == SCORE:
        return f"< {SCORE_TARGET_S:g} s: {'met' if wall < SCORE_TARGET_S else 'NOT met'}"
    ok = wall < DJANGO_TARGET_S and max(r.rss_mb) < TARGET_MB
    return f"< {DJANGO_TARGET_S:g} s, < {TARGET_MB} MB: {'met' if ok else 'NOT met'}"


def report(label: str, runs: dict[str, Runs], baseline: dict[str, Runs] | None) -> None:
    base = min(runs[BARE].wall_s)
    vs = " | x baseline wall" if baseline else ""
    print(f"\n{label or 'this'}:\n| command | best wall s | its CPU s | peak RSS MB "
          f"| x `python -c pass` | target | exit{vs} |\n|---|---:|---:|---:|---:|---|---:"
          f"{'|---:' if baseline else ''}|")
    for name, r in runs.items():
        wall = r.wall_s[r.best()]
        ratio = f" | {wall / min(baseline[name].wall_s):.2f}" if baseline else ""
        print(f"| {name} | {wall:.3f} | {r.cpu_s[r.best()]:.3f} | {max(r.rss_mb):.1f} "
              f"| {wall / base:.1f} | {_target(name, r)} "
              f"| {','.join(map(str, sorted(r.codes)))}{ratio} |")


if __name__ == "__main__":
    main()
