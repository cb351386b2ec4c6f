"""The ``thesis`` command: a thin layer over the public API.

Every command is a few calls a notebook user could make too::

    thesis screen [--universe FILE] [--pack NAME|FILE] [--top N] [--format FORMAT]
                  [--as-of DATE] [--explain]
                  [--prices SOURCE [--status] [--timeout S] [--deadline S]]
                  [--quiet] [--output FILE [--force]]
    thesis explain TICKER [--pack NAME|FILE] [--universe FILE] [--as-of DATE]
                  [--format FORMAT]
    thesis validate FILE... [--kind KIND] [--format FORMAT]
    thesis layers [--universe FILE] [--format FORMAT]
    thesis links TICKER [--down N | --up N] [--universe FILE] [--format FORMAT]
    thesis scenarios [PACK] [--file SCENARIOS.toml] [--top N] [--universe FILE] [--format FORMAT]
    thesis watch WATCHLIST.toml [--state DIR] [--format FORMAT] [--no-fail-on-alert]
                 [--keep N]
    thesis test PACK... [--universe FILE] [--format FORMAT]
    thesis sql [PACK] [--dialect duckdb|spark|snowflake|bigquery|postgres] [--table NAME]
               [--by COLUMN] [--compact] [--format text|json]
    thesis report -o FILE.html [--universe FILE] [--pack NAME|FILE] [--as-of DATE]
                  [--prices SOURCE] [--basket] [--title TEXT] [--force]

Every command that prints data takes ``--format text|json|csv`` (``screen``, ``layers``
and ``watch`` also ``markdown``), through :func:`thesis_lib.cli._output.format_option`
and :func:`~thesis_lib.cli._output.render`; each JSON shape is documented in
docs/command-line.md. Plain ``thesis`` prints a short usage on stderr and exits 2.

Exit status: 0 success; 1 an error (a bad file, an unknown ticker or pack, invalid
files for ``validate``, failed expectations for ``test``); 2 bad command-line usage;
3 ``watch`` ran and alerts fired (see :mod:`thesis_lib.cli._watch`).

Errors print one or a few lines (what, where, how to fix) and never a traceback;
``--debug`` shows it. Nothing printed carries a control character from the data: ids,
names, tickers and ``why`` texts are shown with ESC, ``\\r`` and the other C0/C1 controls
escaped (:mod:`thesis_lib._text`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import textwrap
from collections.abc import Callable, Sequence

from thesis_lib._text import plain_lines
from thesis_lib.cli._output import Output, format_option
from thesis_lib.errors import ThesisError

__all__ = ["EXIT_ALERTS", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ALERTS = 3
EXIT_INTERRUPTED = 130


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") \
            from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-05-07, got {text!r}") \
            from None


def _fill(*paragraphs: str) -> str:
    """Paragraphs wrapped for help texts that keep their own line breaks."""
    return "\n\n".join(textwrap.fill(p, 79) for p in paragraphs)


def _universe_option(p: argparse.ArgumentParser, *, of_pack: bool = False) -> None:
    """``--universe``; for a command that takes a pack, the pack's own ``universe =``
    comes before the built-in default."""
    default = "the pack's own `universe =`, else ai-compute-2026" if of_pack \
        else "ai-compute-2026"
    p.add_argument("--universe", metavar="FILE",
                   help=f"universe TOML file or built-in name (default: {default})")


def _data_options(p: argparse.ArgumentParser) -> None:
    _universe_option(p, of_pack=True)
    p.add_argument("--pack", metavar="NAME|FILE", default="one-layer-down",
                   help="built-in pack name or pack TOML file (default: one-layer-down)")
    p.add_argument("--prices", metavar="SOURCE",
                   help="add market data: a CSV/Parquet price file (offline), or 'yfinance' "
                        "(needs the market extra); default: none, fully offline")
    p.add_argument("--snapshot", metavar="FILE",
                   help="with a price file: per-ticker table of currency, shares and P/E")
    p.add_argument("--since", metavar="DATE", type=_date,
                   help="with --prices: start date of the return_since column")
    p.add_argument("--as-of", metavar="DATE", type=_date, dest="as_of",
                   help="screen the universe as it was known on DATE (no look-ahead): only "
                        "figures public by then, a period's figures from 90 days after its "
                        "end unless they give known_from; claims weighed at DATE")
    p.add_argument("--status", action="store_true",
                   help="with --prices: also print the per-ticker market-data status table "
                        "(ok, missing, stale, unavailable, failed, private, with reasons)")
    p.add_argument("--timeout", metavar="SECONDS", type=_seconds,
                   help="with --prices yfinance: per network call (default: 10)")
    p.add_argument("--deadline", metavar="SECONDS", type=_seconds,
                   help="with --prices yfinance: for all market data of the run (default: 300)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no notes on stderr (errors are still shown); "
                        "the progress bar only ever shows on a terminal")


WATCH_EPILOG = """\
exit status:
  0  ran, no alert fired
  3  ran, alerts fired (0 with --no-fail-on-alert), so cron can act on it
  1  could not run: bad watchlist/universe/pack, unwritable --state, market data failed
     (nothing is saved then)
  2  bad command-line usage

Snapshots are saved in --state (default: <watchlist id>-snapshots next to the
watchlist file), one JSON file per run named by its UTC time; they are written
atomically and never overwritten. After saving, the run removes this watchlist's
oldest snapshots beyond the newest N (--keep N, else `keep = N` in the watchlist,
else 100), and says how many. A damaged newest snapshot is reported, left in
place, and the run starts a new baseline. The file format is described in
`python -c "import thesis_lib.watch; help(thesis_lib.watch)"`.
"""

MAIN_EPILOG = """\
examples:
  thesis screen --top 10                    the built-in universe and pack, offline
  thesis screen --format csv --output ranked.csv
  thesis explain MU                         why Micron scored what it did
  thesis links NVDA --down 2                Nvidia's suppliers and theirs, with sources
  thesis scenarios                          what would change the built-in ranking
  thesis validate my-universe.toml my-pack.toml
  thesis watch examples/watchlist.toml      a diff against the last run; exit 3 on alerts
  thesis report -o report.html              one HTML file to open or send, offline

exit status: 0 ok, 1 error, 2 usage, 3 watch alerts fired. --debug shows tracebacks.
"""


class _VersionAction(argparse.Action):
    """``--version``: prints ``thesis-lib <version>``, reading the installed metadata only
    when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from thesis_lib import __version__

        sys.stdout.write(f"thesis-lib {__version__}\n")  # stdout, as argparse's own does
        parser.exit()


def short_usage(parser: argparse.ArgumentParser) -> str:
    """The usage line, the commands and where to read more: what plain ``thesis`` prints."""
    commands = ", ".join(_handlers())
    return (parser.format_usage() + f"thesis: error: a command is required: {commands}\n"
            "  `thesis --help` describes them, `thesis COMMAND --help` one of them\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``thesis`` argument parser."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="thesis", formatter_class=raw, epilog=MAIN_EPILOG,
        description="Screen listed companies against an investment thesis written as code.")
    parser.add_argument("--version", action=_VersionAction,
                        help="show the installed version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # The same flag after the command (`thesis screen --debug`), without resetting it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "screen", parents=[common], formatter_class=raw,
        help="rank a universe with a rule pack (offline by default)",
        description=_fill(
            "Rank a universe with a rule pack. With no options: the built-in universe and "
            "the one-layer-down pack, offline.",
            "Formats: text (a table that fits 100 columns), markdown, csv (every exposure and rule "
            "contribution as a column), json (one object per company with its "
            "contributions)."))
    _data_options(p)
    p.add_argument("--top", metavar="N", type=_positive, default=0,
                   help="show only the N best-ranked companies (default: all)")
    format_option(p, markdown=True, text="a table that fits 100 columns",
                  csv="one row per company, every exposure and contribution a column")
    p.add_argument("--explain", action="store_true",
                   help="add each shown company's reasons (after the table; per company in json)")
    p.add_argument("--basket", action="store_true",
                   help="add the basket the pack's [basket] rules build from the ranking")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (atomically) instead of stdout; refuses to replace "
                        "an existing file")
    p.add_argument("--force", action="store_true", help="let --output replace a file")
    p.set_defaults(handler="screen")

    p = sub.add_parser(
        "explain", parents=[common],
        help="the reasons behind one company's score",
        description="Show rule by rule why a company scored what it did; for an excluded "
                    "company, which gate excluded it and why.")
    p.add_argument("ticker", metavar="TICKER")
    _data_options(p)
    format_option(p, text="the reasons, rule by rule", csv="one row per rule")
    p.set_defaults(handler="explain")

    p = sub.add_parser(
        "validate", parents=[common],
        help="check universe, pack and watchlist files",
        description="Check universe, pack, watchlist, chain, evidence and links files (the kind is "
                    "told from the content) and print every problem with its file, location "
                    "and fix. Exit status 0 when all are valid, 1 otherwise.")
    p.add_argument("files", metavar="FILE", nargs="+")
    from thesis_lib.cli._validate import KINDS

    p.add_argument("--kind", choices=KINDS,
                   help="check every FILE as this kind instead of telling it from the content")
    format_option(p, text="each file's problems", csv="one row per problem")
    p.set_defaults(handler="validate")

    p = sub.add_parser(
        "layers", parents=[common],
        help="the supply chain: which layers sit below which, with company counts",
        description="Print a universe's supply chain, customers first, with company counts.")
    _universe_option(p)
    format_option(p, markdown=True, text="a tree of tiers", csv="one row per layer")
    p.set_defaults(handler="layers")

    p = sub.add_parser(
        "links", parents=[common],
        help="a company's suppliers, customers and stakes, with sources",
        description="Print the companies linked to TICKER: who supplies it (--down N steps), "
                    "whom it supplies (--up N steps), and, without either, both one step "
                    "deep plus the stakes held in it and by it. Each link names its layer, "
                    "the revenue share where reported, its date and source.")
    p.add_argument("ticker", metavar="TICKER")
    p.add_argument("--down", metavar="N", type=_positive,
                   help="suppliers only, N steps down (suppliers of suppliers ...)")
    p.add_argument("--up", metavar="N", type=_positive,
                   help="customers only, N steps up")
    _universe_option(p)
    format_option(p, text="a tree", csv="one row per link")
    p.set_defaults(handler="links")

    p = sub.add_parser(
        "scenarios", parents=[common],
        help="what would change the ranking: run a pack's named scenarios",
        description="Screen the universe with the pack and with each of its [[scenarios]] "
                    "(or those of --file), and print per scenario who enters and leaves the "
                    "top N, the biggest rank movers with the rules that moved them, and the "
                    "basket's changes.")
    p.add_argument("pack", metavar="PACK", nargs="?", default="one-layer-down",
                   help="built-in pack name or pack file (default: one-layer-down)")
    p.add_argument("--file", metavar="SCENARIOS.toml",
                   help="run the [[scenarios]] of this file instead of the pack's own")
    p.add_argument("--only", metavar="ID", nargs="+", help="run only these scenarios")
    p.add_argument("--top", metavar="N", type=_positive, default=10,
                   help="the top N whose entries and exits are reported (default: 10)")
    _universe_option(p, of_pack=True)
    format_option(p, text="per scenario", csv="one row per change")
    p.set_defaults(handler="scenarios")

    p = sub.add_parser(
        "watch", parents=[common], formatter_class=raw, epilog=WATCH_EPILOG,
        help="run a watchlist: diff against the last run, alerts, exit 3 when they fire",
        description=_fill(
            "Screen a watchlist, compare with the previous run's snapshot, print who "
            "entered or left the top N, who moved and which alerts fired, and save a new "
            "snapshot."))
    p.add_argument("watchlist", metavar="WATCHLIST.toml")
    p.add_argument("--state", metavar="DIR",
                   help="snapshot folder (default: <id>-snapshots next to the watchlist)")
    format_option(p, markdown=True, text="the diff and the top N",
                  csv="one row per change, alert, company shown and basket member")
    p.add_argument("--no-fail-on-alert", dest="fail_on_alert", action="store_false",
                   help="exit 0 even when alerts fire")
    p.add_argument("--no-save", action="store_true",
                   help="compare with the last snapshot without saving a new one")
    p.add_argument("--keep", metavar="N", type=_positive,
                   help="keep the newest N snapshots of this watchlist, removing older ones "
                        "after saving (default: the watchlist's keep, else 100)")
    p.set_defaults(handler="watch")

    p = sub.add_parser(
        "report", parents=[common],
        help="write one self-contained HTML report of a screen (offline by default)",
        description=_fill(
            "Screen as `thesis screen` does and write one HTML file with the thesis and "
            "its rules, the ranking with each company's explanation, the supply chain, "
            "the evidence timeline, the market-data status (with --prices), the basket "
            "(with --basket) and the data disclaimer. The file needs no network and no "
            "other file: open it in a browser or send it as an attachment."))
    _data_options(p)
    p.add_argument("-o", "--output", metavar="FILE", required=True,
                   help="the HTML file to write (e.g. report.html)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--basket", action="store_true",
                   help="add the basket the pack's [basket] rules build from the ranking")
    p.add_argument("--title", metavar="TEXT",
                   help="the report's heading (default: the pack's id and version)")
    p.set_defaults(handler="report")

    p = sub.add_parser(
        "test", parents=[common],
        help="check rule packs against their [[expect]] entries",
        description="Run each pack's expectations ('MU ranks above NVDA', ...) and report "
                    "every failure. Exit status 0 when all pass, 1 otherwise.")
    p.add_argument("packs", metavar="PACK", nargs="+", help="built-in pack name or pack file")
    p.add_argument("--universe", metavar="FILE",
                   help="run the expectations that name no universe of their own against this "
                        "universe instead of the pack's (default: the pack's universe, "
                        "else ai-compute-2026)")
    format_option(p, text="PASS/FAIL per expectation", csv="one row per expectation")
    p.set_defaults(handler="test")

    p = sub.add_parser(
        "sql", parents=[common],
        help="print a pack compiled to one SQL query (DuckDB, Spark, Snowflake, ...)",
        description=_fill(
            "Compile a rule pack to one SQL query over a table with the screening-frame "
            "columns and a ticker column (and a date column for a panel, --by), and print "
            "it. The query returns each company's score, rank, gate outcome and every "
            "rule's contribution and status, as screen() does. Dialects other than duckdb "
            "are translated with sqlglot (the sql extra) and parsed back before printing.",
            "Run it where the data lives: on DuckDB from Python with "
            "screen(..., engine='duckdb'); elsewhere, paste it (see docs/engines.md)."),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pack", metavar="PACK", nargs="?", default="one-layer-down",
                   help="built-in pack name or pack TOML file (default: one-layer-down)")
    p.add_argument("--dialect", default="duckdb",
                   choices=("duckdb", "spark", "snowflake", "bigquery", "postgres"),
                   help="SQL dialect to print (default: duckdb)")
    p.add_argument("--table", default="frame", metavar="NAME",
                   help="the table or view to read (default: frame)")
    p.add_argument("--by", metavar="COLUMN",
                   help="the date column of a panel: scores and ranks per date")
    p.add_argument("--compact", action="store_true",
                   help="one line per common table expression instead of pretty-printed")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: the query (the default); json: the query with the pack, "
                        "dialect and output columns")
    p.set_defaults(handler="sql")
    return parser


def _handlers() -> dict[str, Callable[[argparse.Namespace], Output]]:
    from thesis_lib.cli._layers import layers_command
    from thesis_lib.cli._links import links_command
    from thesis_lib.cli._packtest import packtest_command
    from thesis_lib.cli._report import report_command
    from thesis_lib.cli._scenarios import scenarios_command
    from thesis_lib.cli._screen import explain_command, screen_command
    from thesis_lib.cli._sql import sql_command
    from thesis_lib.cli._validate import validate_command
    from thesis_lib.cli._watch import watch_command

    return {"screen": screen_command, "explain": explain_command,
            "validate": validate_command, "layers": layers_command, "links": links_command,
            "scenarios": scenarios_command, "report": report_command,
            "watch": watch_command, "test": packtest_command, "sql": sql_command}


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the exit flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _error(command: str, message: str) -> None:
    lines = plain_lines(message).splitlines() or [""]
    print(f"thesis {command}: error: {lines[0]}", file=sys.stderr)
    for line in lines[1:]:
        print(line, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thesis`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        print(short_usage(parser), file=sys.stderr, end="")
        return EXIT_USAGE
    command = args.command
    try:
        output = _handlers()[args.handler](args)
    except ThesisError as exc:
        if args.debug:
            raise
        _error(command, str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"thesis {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _error(command, f"{where}{exc.strerror or exc}")
        return EXIT_ERROR
    except Exception as exc:
        if args.debug:
            raise
        _error(command, f"internal error: {type(exc).__name__}: {exc}\n"
                        "  run again with --debug to see the traceback, and please report it")
        return EXIT_ERROR
    try:
        if output.text:
            # Every formatter escapes the data it shows; this makes sure of it.
            sys.stdout.write(plain_lines(output.text))
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. `thesis screen | head`: keep the status
        _silence_stdout()
    return output.status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
