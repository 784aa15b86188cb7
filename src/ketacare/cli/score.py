"""`ketacare score`, `ketacare outcome` and `ketacare instruments`: the instrument library
from the shell. Output is JSON on stdout; bad input is one line on stderr and exit 2."""

from __future__ import annotations

from ketacare.clinical import instruments
from ketacare.clinical.instruments import InstrumentInputError
from ketacare.clinical.outcomes import DEFAULT_WORSENED_PCT, OutcomeRules, classify

from .common import Parser, UsageError, print_json


def run_score(argv: list[str]) -> int:
    parser = Parser(
        prog="ketacare score",
        description="Score one completed instrument. Values are item answers in order; "
        "ASQ takes 1 = yes, 0 = no.",
    )
    parser.add_argument("instrument", help="instrument id, see `ketacare instruments`")
    # Strings, not ints: the instrument names the item and its allowed values on bad input.
    parser.add_argument("values", nargs="*", help="item answers in item order")
    args = parser.parse_args(argv)
    try:
        result = instruments.get(args.instrument).score(args.values)
    except InstrumentInputError as exc:
        raise UsageError(str(exc)) from None
    print_json(result.as_dict())
    return 0


def run_outcome(argv: list[str]) -> int:
    parser = Parser(
        prog="ketacare outcome",
        description="Classify the change between a baseline and a current total.",
    )
    parser.add_argument("instrument")
    parser.add_argument("baseline", help="baseline total")
    parser.add_argument("current", help="current total")
    parser.add_argument(
        "--remission-max",
        type=int,
        help="override the instrument's remission ceiling (e.g. 12 for MADRS as in the "
        "esketamine trials)",
    )
    parser.add_argument(
        "--worsened-pct",
        type=float,
        default=DEFAULT_WORSENED_PCT,
        help=f"rise from baseline, in percent, that counts as worsened (the clinic's "
        f"setting; default {DEFAULT_WORSENED_PCT})",
    )
    args = parser.parse_args(argv)
    try:
        outcome = classify(
            instruments.get(args.instrument),
            args.baseline,
            args.current,
            OutcomeRules(remission_max_total=args.remission_max, worsened_pct=args.worsened_pct),
        )
    except (InstrumentInputError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print_json(outcome.as_dict())
    return 0


def run_instruments(argv: list[str]) -> int:
    parser = Parser(prog="ketacare instruments", description="List the instrument library.")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    rows = [
        {
            "id": i.id,
            "name": i.name,
            "rater": i.rater,
            "items": len(i.items),
            "min": i.min_total if i.has_total else None,
            "max": i.max_total if i.has_total else None,
            "full_text_bundled": i.full_text_bundled,
            "license": i.license,
            "check": list(i.check_notes),
        }
        for i in instruments.all_instruments()
    ]
    if args.json:
        print_json(rows)
        return 0
    print(f"{'id':<14} {'items':>5} {'range':>7}  {'rater':<17} {'text':<8} license")
    for row in rows:
        span = f"{row['min']}-{row['max']}" if row["min"] is not None else "-"
        text = "full" if row["full_text_bundled"] else "labels"
        print(
            f"{row['id']:<14} {row['items']:>5} {span:>7}  {row['rater']:<17} {text:<8} "
            f"{row['license']}"
        )
    return 0
