"""Loading and saving universes, supply chains and evidence as TOML.

Built-in data lives in ``thesis_lib/data``; a user's files are read with the same code.
Every problem in a file is reported as a :class:`~thesis_lib.errors.DataError` naming
the file, the company (or layer, or evidence) and the field.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from thesis_lib._files import display_path, read_text
from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import ChainError, DataError, Problem, ThesisError
from thesis_lib.models import Evidence, Link, Scenario, SupplyChain, Universe

BUILTIN_CHAINS: dict[str, str] = {"ai-compute": "chain.toml"}
"""Built-in chains by name -> file inside ``thesis_lib/data``."""

BUILTIN_UNIVERSES: dict[str, str] = {"ai-compute-2026": "universe.toml"}
"""Built-in universes by name -> file inside ``thesis_lib/data``."""

DEFAULT_UNIVERSE = "ai-compute-2026"
DEFAULT_CHAIN = "ai-compute"

PathLike = str | os.PathLike[str]


def data_path(name: str) -> Path:
    """Path of a file shipped in ``thesis_lib/data``."""
    return Path(str(resources.files("thesis_lib") / "data" / name))


def read_toml(path: PathLike, *, error: type[ThesisError] = DataError) -> dict[str, Any]:
    """Read a TOML file; missing, unreadable or malformed files raise ``error`` naming the file.

    The file is read by :func:`thesis_lib._files.read_text`: it must be a regular file no
    larger than the size cap (64 MiB, or ``THESIS_MAX_FILE_BYTES``) in UTF-8, a leading
    byte-order mark allowed.
    """
    text = read_text(path, error=error, fix="save it as UTF-8 TOML")
    file = display_path(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"not valid TOML: {exc}", file=file,
                    hint="check the syntax at the line and column given") from None
    except RecursionError:
        raise error("not valid TOML: arrays or tables nested too deeply", file=file,
                    hint="flatten the nesting") from None


def _resolve(source: PathLike | None, builtins: Mapping[str, str], default: str) -> Path:
    if source is None:
        return data_path(builtins[default])
    if isinstance(source, str) and source in builtins:
        return data_path(builtins[source])
    return Path(source)


def _unknown_name(source: PathLike | None, builtins: Mapping[str, str], path: Path) -> bool:
    """True when ``source`` looks like a built-in name that does not exist."""
    return (
        isinstance(source, str)
        and source not in builtins
        and not source.endswith(".toml")
        and "\x00" not in source
        and not os.path.lexists(path)  # a dangling link or a loop is read (and reported)
    )


def load_chain(source: PathLike | None = None) -> SupplyChain:
    """Load a supply chain: the built-in ``ai-compute`` chain by default, a name, or a file."""
    path = _resolve(source, BUILTIN_CHAINS, DEFAULT_CHAIN)
    if _unknown_name(source, BUILTIN_CHAINS, path):
        raise ChainError(
            f"no built-in chain named {source!r} and no such file",
            hint=did_you_mean(str(source), BUILTIN_CHAINS, what="chains"),
        )
    data = read_toml(path, error=ChainError)
    chain: SupplyChain = SupplyChain.parse(data, file=str(path))
    return chain


def _load_entries(path: PathLike, key: str, model: type[Evidence] | type[Link] | type[Scenario],
                  label: str, name_of: str) -> tuple[Any, ...]:
    """Read a file that holds only ``[[key]]`` tables, each validated as ``model``."""
    data = read_toml(path)
    unknown = set(data) - {key}
    if unknown:
        name = sorted(unknown)[0]
        raise DataError(f"unknown top-level key {name!r}", file=str(path),
                        hint=f"a {label} file holds only [[{key}]] tables")
    items = data.get(key, [])
    if not isinstance(items, list):
        raise DataError(f"'{key}' must be a list of tables", file=str(path), field=key,
                        hint=f"write each entry as [[{key}]]")
    out = []
    problems = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise DataError(f"each {label} entry must be a table", file=str(path),
                            item=f"{label} #{i + 1}", hint=f"write it as [[{key}]]")
        label_value = item.get(name_of)
        where = f"{label} {label_value!r}" if isinstance(label_value, str) and label_value \
            else f"{label} #{i + 1}"
        if key == "links":
            where = f"{label} #{i + 1} ({item.get('supplier')} -> {item.get('customer')})"
        try:
            out.append(model.parse(item, file=str(path)))
        except DataError as exc:
            problems += [p.located(item=where) for p in exc.problems]
    if problems:
        raise DataError(problems)
    return tuple(out)


def load_evidence(path: PathLike) -> tuple[Evidence, ...]:
    """Load a file of ``[[evidence]]`` entries (every mistake reported at once)."""
    evidence: tuple[Evidence, ...] = _load_entries(path, "evidence", Evidence, "evidence", "id")
    return evidence


def load_links(path: PathLike) -> tuple[Link, ...]:
    """Load a file of ``[[links]]`` entries (supplier -> customer, supplies or stake)."""
    links: tuple[Link, ...] = _load_entries(path, "links", Link, "link", "supplier")
    return links


def load_scenarios(path: PathLike) -> tuple[Scenario, ...]:
    """Load a file of ``[[scenarios]]`` entries (every mistake reported at once, each with
    the file, the scenario and the field)."""
    scenarios: tuple[Scenario, ...] = _load_entries(path, "scenarios", Scenario, "scenario",
                                                    "id")
    return scenarios


def load_universe(source: PathLike | None = None) -> Universe:
    """Load a universe: the built-in one by default, a built-in name, or a TOML file.

    A universe file may name its chain (``chain = "ai-compute"``, or a path relative to
    the file), carry it inline (``[chain]`` with ``[[chain.layers]]``), or leave it out to
    use the built-in chain; evidence and company links may be inline (``[[evidence]]``,
    ``[[links]]``) or in separate files (``evidence_file = "evidence.toml"``,
    ``links_file = "links.toml"``), paths relative to the universe file.
    """
    path = _resolve(source, BUILTIN_UNIVERSES, DEFAULT_UNIVERSE)
    if _unknown_name(source, BUILTIN_UNIVERSES, path):
        raise DataError(
            f"no built-in universe named {source!r} and no such file",
            hint=did_you_mean(str(source), BUILTIN_UNIVERSES, what="universes"),
        )
    data = dict(read_toml(path))
    file = str(path)
    if not data:
        raise DataError("the universe file is empty", file=file,
                        hint="list the companies as [[companies]] tables with ticker, name, "
                             "country, currency and exposures")
    chain_spec = data.pop("chain", DEFAULT_CHAIN)
    if isinstance(chain_spec, str):
        if chain_spec in BUILTIN_CHAINS:
            chain = load_chain(chain_spec)
        else:
            chain_path = Path(chain_spec)
            if not chain_path.is_absolute():
                chain_path = path.parent / chain_path
            chain = load_chain(chain_path)
        data["chain"] = chain
    elif isinstance(chain_spec, Mapping):
        data["chain"] = chain_spec
    else:
        raise DataError("'chain' must be a chain name, a file path or a [chain] table",
                        file=file, field="chain")
    for key, field, loader in (("evidence", "evidence_file", load_evidence),
                               ("links", "links_file", load_links)):
        extra = data.pop(field, None)
        if extra is None:
            continue
        if not isinstance(extra, str):
            raise DataError(f"'{field}' must be a path string", file=file, field=field,
                            hint=f'e.g. {field} = "{key}.toml"')
        extra_path = Path(extra)
        if not extra_path.is_absolute():
            extra_path = path.parent / extra_path
        data[key] = [*data.get(key, []), *loader(extra_path)]
    universe: Universe = Universe.parse(data, file=file)
    return universe


def validate_universe(source: PathLike | None = None) -> list[Problem]:
    """Every problem in a universe file or built-in name (its chain, links and evidence
    files included); [] when it is valid."""
    try:
        load_universe(source)
    except ThesisError as exc:
        return list(exc.problems)
    return []


def validate_scenarios(path: PathLike) -> list[Problem]:
    """Every problem in a file of ``[[scenarios]]``; [] when it is valid. (What the
    scenarios refer to is checked against a universe and a pack by
    :func:`thesis_lib.scenarios.check_scenario`.)"""
    try:
        load_scenarios(path)
    except ThesisError as exc:
        return list(exc.problems)
    return []


def universe_to_toml(universe: Universe) -> str:
    """A self-contained TOML document for ``universe`` (:meth:`Universe.to_toml`)."""
    return universe.to_toml()


def save_universe(universe: Universe, path: PathLike, *, overwrite: bool = False) -> Path:
    """Write ``universe`` to ``path`` as TOML, atomically; never overwrites unless asked."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise DataError("file exists", file=str(target),
                        hint="pass overwrite=True or choose another path")
    write_atomic(target, universe_to_toml(universe))
    return target


def write_atomic(target: Path, text: str, *, suffix: str = ".tmp") -> None:
    """Write ``text`` to ``target`` through a temporary file and a rename.

    Readers see the old file or the new one, never a part; a process killed midway
    leaves at most a hidden ``.<name>.*<suffix>`` file beside the target.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
