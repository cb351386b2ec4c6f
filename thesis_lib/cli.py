"""The ``thesis`` command: a thin layer over the public API.

Every command is a few calls a notebook user could make too. Errors print one or a few
lines (what, where, how to fix) and exit non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from thesis_lib.errors import ThesisError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thesis",
        description="Screen listed companies against an investment thesis written as code.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("screen", help="rank a universe with a rule pack (offline by default)",
                       description="Rank a universe with a rule pack. With no options: the "
                       "built-in universe and the one-layer-down pack, offline.")
    p.add_argument("--universe", metavar="FILE", help="universe TOML file or built-in name")
    p.add_argument("--pack", metavar="NAME|FILE", default="one-layer-down",
                   help="built-in pack name or pack TOML file (default: one-layer-down)")
    p.add_argument("--top", metavar="N", type=int, default=0,
                   help="show only the N best-ranked companies (default: all)")
    p.add_argument("--explain", action="store_true",
                   help="after the table, explain each company shown")

    p = sub.add_parser("explain", help="the reasons behind one company's score",
                       description="Show rule by rule why a company scored what it did.")
    p.add_argument("ticker", metavar="TICKER")
    p.add_argument("--universe", metavar="FILE", help="universe TOML file or built-in name")
    p.add_argument("--pack", metavar="NAME|FILE", default="one-layer-down")

    sub.add_parser("layers", help="the supply chain: which layers sit below which",
                   description="Print the built-in universe's supply chain with company counts.")
    return parser


def _screen(args: argparse.Namespace) -> int:
    from thesis_lib import load_universe
    from thesis_lib.rules import screen

    result = screen(load_universe(args.universe), args.pack)
    print(result.to_text(args.top))
    if args.explain:
        shown = result.scores.head(args.top) if args.top else result.scores
        for ticker in shown.index:
            print()
            print(result.explain(str(ticker)))
    excluded = int((~result.scores["passed"]).sum())
    print(f"\n{len(result.frame)} companies, {len(result.frame) - excluded} ranked, "
          f"{excluded} excluded; pack {result.pack.id} v{result.pack.version}. "
          "Exposure figures are illustrative estimates, not investment advice.")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from thesis_lib import load_universe
    from thesis_lib.rules import screen

    result = screen(load_universe(args.universe), args.pack)
    print(result.explain(args.ticker))
    return EXIT_OK


def _layers(args: argparse.Namespace) -> int:
    from thesis_lib import load_universe

    universe = load_universe()
    chain = universe.chain
    for depth, tier in enumerate(chain.tiers()):
        for layer_id in tier:
            layer = chain.layer(layer_id)
            count = len(universe.companies_in(layer_id))
            below = ", ".join(chain.below(layer_id)) or "-"
            print(f"{'  ' * depth}{layer.id:<16} {layer.name:<40} {count:>3} companies"
                  f"  below: {below}")
    return EXIT_OK


COMMANDS = {"screen": _screen, "explain": _explain, "layers": _layers}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thesis`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except ThesisError as exc:
        if args.debug:
            raise
        print(f"thesis {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # e.g. `thesis screen | head`
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
