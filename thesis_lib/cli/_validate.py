"""``thesis validate``: check universe, pack, watchlist, chain, evidence and links files."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from thesis_lib.cli._output import Output, Table, problem_dict, render
from thesis_lib.errors import Problem, ThesisError

KINDS = ("universe", "pack", "watchlist", "chain", "evidence", "links")
_WATCHLIST_KEYS = {"alerts", "always_show", "top", "prices", "pack", "universe"}


def detect_kind(data: Mapping[str, Any]) -> str | None:
    """What a parsed TOML file is, from its keys: universe, pack, watchlist, chain, evidence."""
    keys = set(data)
    if "companies" in keys:
        return "universe"
    if "rules" in keys:
        return "pack"
    if keys & _WATCHLIST_KEYS or {"id", "basket"} <= keys:  # a basket file has no id
        return "watchlist"
    if "layers" in keys:
        return "chain"
    if keys and keys <= {"evidence"}:
        return "evidence"
    if keys and keys <= {"links"}:
        return "links"
    return None


def _check_universe(path: str) -> tuple[list[Problem], str]:
    from thesis_lib import load_universe

    universe = load_universe(path)
    listed = sum(c.listed for c in universe.companies)
    return [], (f"universe {universe.id!r}: {len(universe.companies)} companies ({listed} "
                f"listed), {len(universe.chain)} layers, {len(universe.links)} links, "
                f"{len(universe.evidence)} evidence")


def _check_pack(path: str) -> tuple[list[Problem], str]:
    from thesis_lib.rules import load_pack

    try:
        pack = load_pack(path)
    except ThesisError as exc:  # load_pack lists every problem in the file at once
        return list(exc.problems), ""
    from thesis_lib.testing.expectations import expectation_problems

    # Every ticker an expectation names must be in the universe it runs against.
    problems = expectation_problems(pack)
    against = f" against {pack.universe}" if pack.universe else ""
    return problems, (f"pack {pack.id!r} v{pack.version}: {len(pack.rules)} rules "
                      f"({len(pack.gates)} gates), {len(pack.expect)} expectations{against}")


def _check_watchlist(path: str) -> tuple[list[Problem], str]:
    from thesis_lib.watch import load_watchlist, watchlist_problems

    problems = watchlist_problems(path)
    if problems:
        return problems, ""
    wl = load_watchlist(path)
    basket = "" if wl.basket is None else f", basket of {wl.basket.top_n}"
    return [], (f"watchlist {wl.id!r}: top {wl.top} of {wl.universe} with {wl.pack}, "
                f"{len(wl.alerts)} alerts{basket}")


def _check_chain(path: str) -> tuple[list[Problem], str]:
    from thesis_lib import load_chain

    chain = load_chain(path)
    return [], f"chain {chain.id!r}: {len(chain)} layers"


def _check_links(path: str) -> tuple[list[Problem], str]:
    from thesis_lib import load_links

    links = load_links(path)
    stakes = sum(lk.kind == "stake" for lk in links)
    return [], f"links: {len(links) - stakes} supplies, {stakes} stakes"


def _check_evidence(path: str) -> tuple[list[Problem], str]:
    from thesis_lib import load_evidence

    return [], f"evidence: {len(load_evidence(path))} claims"


CHECKS: dict[str, Callable[[str], tuple[list[Problem], str]]] = {
    "universe": _check_universe,
    "pack": _check_pack,
    "watchlist": _check_watchlist,
    "chain": _check_chain,
    "evidence": _check_evidence,
    "links": _check_links,
}


def check_file(path: str, kind: str | None = None) -> tuple[str | None, list[Problem], str]:
    """``(kind, problems, summary)`` for one file; problems is [] when it is valid."""
    from thesis_lib.loading import read_toml

    if kind is None:
        try:
            data = read_toml(path)
        except ThesisError as exc:
            return None, list(exc.problems), ""
        if not data:
            return None, [Problem("the file is empty", file=path,
                                  hint="a universe has [[companies]], a pack [[rules]], a "
                                       "watchlist pack/universe/top/[[alerts]], a chain "
                                       "[[layers]]")], ""
        kind = detect_kind(data)
        if kind is None:
            return None, [Problem(
                "cannot tell what kind of file this is", file=path,
                hint="a universe has [[companies]], a pack [[rules]], a watchlist pack/"
                     "universe/top/[[alerts]], a chain [[layers]]; or pass --kind")], ""
    try:
        problems, summary = CHECKS[kind](path)
    except ThesisError as exc:
        problems, summary = list(exc.problems), ""
    return kind, [p.located(file=path) for p in problems], summary


def validate_command(args: argparse.Namespace) -> Output:
    checked = [(path, *check_file(path, args.kind)) for path in args.files]
    bad = sum(bool(problems) for _, _, problems, _ in checked)
    total = len(checked)

    def text() -> str:
        lines: list[str] = []
        for path, kind, problems, summary in checked:
            if problems:
                what = f" ({kind})" if kind else ""
                count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
                lines.append(f"{path}{what}: {count}")
                lines += [f"  - {p}" for p in problems]
            else:
                lines.append(f"{path}: ok, {summary}")
        if total > 1:
            lines.append(f"{total - bad} of {total} files valid")
        return "\n".join(lines) + "\n"

    def document() -> dict[str, Any]:
        return {
            "files": [{"path": path, "kind": kind, "valid": not problems,
                       "summary": summary or None,
                       "problems": [problem_dict(p) for p in problems]}
                      for path, kind, problems, summary in checked],
            "valid": total - bad, "invalid": bad,
        }

    def table() -> Table:
        columns = ["path", "kind", "valid", "summary", "item", "field", "position",
                   "message", "hint"]
        rows: list[dict[str, Any]] = []
        for path, kind, problems, summary in checked:
            head = {"path": path, "kind": kind, "valid": not problems}
            if not problems:
                rows.append({**head, "summary": summary})
            rows += [{**head, **problem_dict(p)} for p in problems]
        return Table.from_records(rows, columns)

    return Output(render(args.format, text=text, json=document, csv=table),
                  status=1 if bad else 0)
