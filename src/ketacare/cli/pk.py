"""`ketacare pk simulate|summary|population|models`: the PK simulator from the shell.

simulate -> CSV on stdout (time_min,plasma_ng_ml[,metabolite_ng_ml]); summary -> JSON;
population -> CSV of percentiles per time point, progress bar on stderr for long runs.
Assumptions the simulator makes are printed on stderr ("assumption: ...") or, for
summary, in the JSON. Bad input: one line on stderr naming the option, exit 2.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ketacare.clinical import pk
from ketacare.clinical.pk.models import ESKETAMINE_MODELS, MODEL_IDS, model_title, routes_for
from ketacare.clinical.pk.regimen import esketamine_devices

from .common import Parser, fail, print_json

# Above this many patient x time values a run takes long enough to deserve a progress bar
# (drawn only when stderr is a terminal: in a log it would be noise).
PROGRESS_MIN_VALUES = 2_000_000


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _add_regimen_options(p: argparse.ArgumentParser, until_default: float) -> None:
    p.add_argument("--model", required=True, help=f"one of: {', '.join(MODEL_IDS)}")
    p.add_argument(
        "--route",
        required=True,
        help="iv, im, sc, oral, sublingual, intranasal (perez-ruixo-2021: intranasal, iv, oral)",
    )
    dose = p.add_mutually_exclusive_group(required=True)
    dose.add_argument("--dose-mg", type=float, help="dose per administration, mg")
    dose.add_argument(
        "--dose-mg-kg", type=float, help="dose per administration, mg/kg (needs --weight-kg)"
    )
    p.add_argument(
        "--weight-kg",
        type=float,
        help="body weight, 20-300 kg (racemic models scale volumes with weight)",
    )
    p.add_argument(
        "--age",
        type=float,
        help="age in years, 18-100 (perez-ruixo-2021: hepatic flow falls over 60)",
    )
    p.add_argument(
        "--infusion-min",
        type=float,
        default=0.0,
        help="IV infusion duration in minutes (default 0 = bolus)",
    )
    p.add_argument(
        "--sprays", type=int, help="esketamine nasal devices (28 mg each); must match the dose"
    )
    p.add_argument(
        "--every-min", type=float, default=0.0, help="interval between repeated doses, minutes"
    )
    p.add_argument("--doses", type=int, default=1, help="number of doses (default 1)")
    p.add_argument(
        "--until-min",
        type=float,
        default=until_default,
        help=f"simulate from 0 to this time, minutes (default {until_default:g})",
    )
    p.add_argument("--step-min", type=float, default=1.0, help="output step, minutes (default 1)")


def _parser() -> Parser:
    parser = Parser(
        prog="ketacare pk",
        description="Pharmacokinetic simulator: plasma ketamine / esketamine by model, "
        "route, dose and patient (typical values; `population` draws variability).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    simulate = sub.add_parser("simulate", help="concentration curve as CSV")
    _add_regimen_options(simulate, 1440.0)
    summary = sub.add_parser("summary", help="Cmax, Tmax, AUC0-24h as JSON")
    _add_regimen_options(summary, 1440.0)
    population = sub.add_parser("population", help="percentiles per time point as CSV")
    _add_regimen_options(population, 1440.0)
    population.add_argument(
        "--patients", type=int, default=1000, help="virtual patients (default 1000)"
    )
    population.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    population.add_argument(
        "--threshold-ng-ml",
        type=float,
        default=100.0,
        help="threshold for per-patient time above (default 100 ng/mL)",
    )
    population.add_argument(
        "--assumed-cv",
        type=float,
        default=pk.models.RACEMIC_ASSUMED_CV,
        help="racemic models only: ASSUMED log-normal CV on V1, k10, ka "
        "(default 0.30; the reference publishes none)",
    )
    population.add_argument(
        "--metrics",
        metavar="FILE",
        help="also write per-patient Cmax, Tmax, AUC, time above as CSV",
    )
    sub.add_parser("models", help="list models and their routes")
    return parser


def _regimen(args: argparse.Namespace) -> tuple[str, list[pk.Dose], pk.Patient]:
    """Turn options into a validated regimen; every error names its option."""
    patient = pk.Patient(args.weight_kg, args.age)
    if args.dose_mg_kg is not None:
        dose_mg = pk.dose_from_mg_per_kg(args.dose_mg_kg, args.weight_kg)
    else:
        dose_mg = args.dose_mg
    if args.doses < 1:
        raise pk.PKInputError("doses", f"must be at least 1, got {args.doses}")
    if args.doses > 1000:
        raise pk.PKInputError("doses", f"at most 1000, got {args.doses}")
    pk.regimen.check_model(args.model)
    if args.sprays is not None:
        if args.model not in ESKETAMINE_MODELS or args.route != "intranasal":
            raise pk.PKInputError(
                "sprays",
                "applies only to --model perez-ruixo-2021 --route intranasal "
                "(esketamine 28 mg devices)",
            )
        model = ESKETAMINE_MODELS[args.model]
        if not 1 <= args.sprays <= model.max_devices:
            raise pk.PKInputError(
                "sprays",
                f"allowed 1-{model.max_devices} devices of {model.device_mg:g} mg, "
                f"got {args.sprays}",
            )
        if (
            dose_mg is not None
            and dose_mg > 0
            and abs(args.sprays * model.device_mg - dose_mg) > 1e-6
        ):
            raise pk.PKInputError(
                "sprays",
                f"{args.sprays} x {model.device_mg:g} mg = "
                f"{args.sprays * model.device_mg:g} mg does not match dose {dose_mg:g} mg",
            )
    doses = pk.repeat_dose(
        pk.Dose(args.route, dose_mg, 0.0, args.infusion_min), args.every_min, args.doses
    )
    pk.regimen.validate(args.model, doses, patient)
    if args.model in ESKETAMINE_MODELS and args.route == "intranasal":
        esketamine_devices(ESKETAMINE_MODELS[args.model], dose_mg)
    return args.model, doses, patient


def _say_assumptions(assumptions: list[str]) -> None:
    for line in assumptions:
        print(f"assumption: {line}", file=sys.stderr)


def _fmt(values: np.ndarray) -> list[str]:
    return [f"{v:.4f}" for v in values]


def _cmd_simulate(args: argparse.Namespace) -> int:
    model, doses, patient = _regimen(args)
    curve = pk.simulate(model, doses, patient, until_min=args.until_min, step_min=args.step_min)
    _say_assumptions(curve.assumptions)
    header = ["time_min", "plasma_ng_ml"]
    columns = [[f"{t:g}" for t in curve.time_min], _fmt(curve.plasma_ng_ml)]
    if curve.metabolite_ng_ml is not None:
        header.append("metabolite_ng_ml")
        columns.append(_fmt(curve.metabolite_ng_ml))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(header)
    out.writerows(zip(*columns, strict=True))
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    model, doses, patient = _regimen(args)
    print_json(pk.summarize(model, doses, patient, until_min=args.until_min))
    return 0


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("simulating", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _cmd_population(args: argparse.Namespace) -> int:
    model, doses, patient = _regimen(args)
    if not 1 <= args.patients <= 10_000_000:
        raise pk.PKInputError("patients", f"allowed 1-10000000, got {args.patients}")
    n_times = pk.time_grid(args.until_min, args.step_min).size
    long_run = args.patients * n_times >= PROGRESS_MIN_VALUES
    with _progress(long_run and sys.stderr.isatty()) as progress:
        result = pk.simulate_population(
            model,
            doses,
            patient,
            patients=args.patients,
            seed=args.seed,
            until_min=args.until_min,
            step_min=args.step_min,
            threshold_ng_ml=args.threshold_ng_ml,
            assumed_cv=args.assumed_cv,
            progress=progress,
        )
    _say_assumptions(result.assumptions)
    header = ["time_min"]
    columns = [[f"{t:g}" for t in result.time_min]]
    for name, prefix in (("plasma", ""), ("metabolite", "metabolite_")):
        if name in result.bands:
            for q, values in zip(result.percentiles, result.bands[name], strict=True):
                header.append(f"{prefix}p{q:g}_ng_ml")
                columns.append(_fmt(values))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(header)
    out.writerows(zip(*columns, strict=True))
    for name, m in result.metrics.items():
        print(
            f"{name}: median [5-95%] over {result.n_patients} patients: "
            + "; ".join(
                f"{label} {np.median(v):.4g} [{np.percentile(v, 5):.4g}-{np.percentile(v, 95):.4g}]"
                for label, v in (
                    ("Cmax ng/mL", m.cmax_ng_ml),
                    ("Tmax min", m.tmax_min),
                    ("AUC ng.h/mL", m.auc_ng_h_ml),
                    (f"min above {result.threshold_ng_ml:g} ng/mL", m.time_above_min),
                )
            ),
            file=sys.stderr,
        )
    if args.metrics:
        _write_metrics(args.metrics, result)
    return 0


def _write_metrics(path: str, result: pk.PopulationResult) -> None:
    try:
        handle = open(path, "w", newline="")  # noqa: SIM115 - closed below, error is ours
    except OSError as exc:
        fail(f"--metrics: cannot write {path}: {exc.strerror}")
    with handle:
        out = csv.writer(handle, lineterminator="\n")
        header = ["patient"]
        cols: list[Any] = [range(result.n_patients)]
        for name, m in result.metrics.items():
            prefix = "" if name == "plasma" else "metabolite_"
            header += [
                f"{prefix}cmax_ng_ml",
                f"{prefix}tmax_min",
                f"{prefix}auc_ng_h_ml",
                f"{prefix}time_above_min",
            ]
            cols += [
                _fmt(m.cmax_ng_ml),
                [f"{t:g}" for t in m.tmax_min],
                _fmt(m.auc_ng_h_ml),
                [f"{t:g}" for t in m.time_above_min],
            ]
        out.writerow(header)
        out.writerows(zip(*cols, strict=True))


def _cmd_models(args: argparse.Namespace) -> int:
    print_json(
        [
            {
                "model": m,
                "title": model_title(m),
                "routes": list(routes_for(m)),
                "source": pk.models.model_source(m),
            }
            for m in MODEL_IDS
        ]
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "simulate": _cmd_simulate,
    "summary": _cmd_summary,
    "population": _cmd_population,
    "models": _cmd_models,
}


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except pk.PKInputError as exc:
        fail(f"{_option(exc.field)}: {exc.message}")
    except BrokenPipeError:
        # `ketacare pk simulate ... | head`: the reader left; not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
