"""Snapshots of a watchlist's screen, one JSON file per run, and the folder that keeps them.

A snapshot file is named ``<watchlist id>-<UTC time>.json`` (``core-20260520T070001Z.json``;
a second run in the same second gets ``-2``), holds every company's score, rank and gate
outcome (and, for a watchlist with a ``[basket]`` table, the basket's weights: see
:class:`Snapshot`), and is never overwritten: each run adds a file. It is written to a hidden
temporary file in the same folder, flushed to disk, then published under its final name
with a hard link (or a rename where links are not supported), so a run killed halfway
leaves at most a hidden ``.tmp`` file behind and the last good snapshot readable.

The newest snapshot is the one with the latest recorded time: the UTC time in its name,
which is its ``taken_at``. A snapshot dated later than the run's own time (beyond
:data:`FUTURE_TOLERANCE`, by its name or by the ``taken_at`` inside) was written with a
clock ahead; it is never the baseline (:meth:`SnapshotStore.baseline` lists it apart, and
a watch run reports it), so one run with a wrong clock cannot win every later diff.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, StrictBool, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from thesis_lib._bulk import collection_paused
from thesis_lib._files import loads_json, read_text
from thesis_lib.errors import DataError
from thesis_lib.models._base import Model
from thesis_lib.models.evidence import claim_weights

__all__ = ["DEFAULT_KEEP", "FUTURE_TOLERANCE", "Baseline", "Pruned", "Snapshot",
           "SnapshotBasket", "SnapshotColumns", "SnapshotRow", "SnapshotStore", "check_keep",
           "company_figures"]

SNAPSHOT_FORMAT = "thesis-watch-snapshot"
#: How to fix a snapshot that cannot be read.
_DAMAGED = ("the file is damaged, perhaps by a partial or edited write; move it aside "
            "(out of the state folder) and the next run starts a new baseline")
#: Leftover temporary files (from killed runs) older than this are removed by the next save.
STALE_TEMP_SECONDS = 3600
#: How far ahead of the run's own time a snapshot may be dated (clock skew between the
#: machines sharing a state folder) and still be a baseline.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
#: How many snapshots of a watchlist a run keeps by default (``keep =`` in the watchlist
#: file, ``thesis watch --keep N``): after saving, the oldest beyond these are removed.
DEFAULT_KEEP = 100
_KEEP_HINT = (f"keep is how many snapshots to keep: a whole number, 1 or more "
              f"(default {DEFAULT_KEEP})")


def check_keep(keep: object, *, file: str | None = None) -> int:
    """``keep`` if it is a whole number of snapshots (1 or more); :class:`DataError` saying
    what is wrong otherwise."""
    if isinstance(keep, bool) or not isinstance(keep, int):
        raise DataError(f"keep must be a whole number, not {keep!r}", file=file, field="keep",
                        hint=_KEEP_HINT)
    if keep < 1:
        raise DataError(f"keep must be 1 or more, got {keep}: a run always keeps the "
                        "snapshot it saved", file=file, field="keep", hint=_KEEP_HINT)
    return keep


class SnapshotRow(Model):
    """One company in a snapshot. ``rank`` is None for excluded companies."""

    item_label = ("company", "ticker")

    ticker: str = Field(min_length=1)
    name: str = ""
    layer: str | None = None
    score: float = Field(allow_inf_nan=False)
    rank: int | None = Field(default=None, ge=1)
    passed: StrictBool
    excluded_by: tuple[str, ...] = ()


class SnapshotBasket(Model):
    """The watchlist's basket at one moment: its rules (in words) and member weights.

    ``weights`` maps each member's ticker to its weight (summing to 1), in selection
    order; the next run rebalances from them.
    """

    rules: str = ""
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        for ticker, weight in value.items():
            if not math.isfinite(weight) or weight < 0:
                raise PydanticCustomError(
                    "bad_weight", "weight of {ticker} is {weight}",
                    {"ticker": ticker, "weight": weight,
                     "hint": "weights are non-negative fractions"})
        return value

    @classmethod
    def from_basket(cls, basket: Any) -> SnapshotBasket:
        """The part of a :class:`~thesis_lib.basket.Basket` a snapshot keeps."""
        weights = basket.weights
        made: SnapshotBasket = cls(
            rules=basket.rules.describe(),
            weights={str(t): float(w) for t, w in weights.items()})
        return made


@dataclass(frozen=True)
class SnapshotColumns:
    """A snapshot's companies as columns, in the snapshot's order: what the watch diff
    reads to compare whole universes at once.

    ``rank`` is NaN for excluded companies; ``gates`` holds each company's gate names
    joined by ``", "`` (empty when it passed).
    """

    tickers: pd.Index
    score: np.ndarray
    rank: np.ndarray
    gates: np.ndarray

    @classmethod
    def of_rows(cls, rows: Sequence[SnapshotRow]) -> SnapshotColumns:
        return cls(
            tickers=pd.Index([r.ticker for r in rows], dtype="string"),
            score=np.array([r.score for r in rows], dtype=np.float64),
            rank=np.array([math.nan if r.rank is None else r.rank for r in rows],
                          dtype=np.float64),
            gates=np.array([", ".join(r.excluded_by) for r in rows], dtype=object))

    def in_top(self, n: int) -> np.ndarray:
        """Positions of the companies ranked ``n`` or better, best first (ties by ticker)."""
        with np.errstate(invalid="ignore"):
            found = np.flatnonzero(self.rank <= n)
        order = np.lexsort((self.tickers.to_numpy()[found], self.rank[found]))
        return found[order]


FIGURE_SEPARATOR = "|"
"""Between the parts of a value of :attr:`Snapshot.figures`."""


def company_figures(universe: Any) -> dict[str, dict[str, str]]:
    """The dated figures behind each company's screen, by ticker: what
    :attr:`Snapshot.figures` keeps so that the watch diff can say which figure changed.

    Keys and values (parts joined by ``|``):

    - ``exposure <layer>``: period end, known date, share, AI part, period;
    - ``financials``: period end, known date, revenue in USD, period;
    - ``claim <id>``: date, direction, strength, for each claim that counts for the
      company (its weight is not 0) and bears on it directly or through a layer in which
      it has a revenue share.
    """
    sep = FIGURE_SEPARATOR
    weights = claim_weights(universe.evidence, universe.as_of)
    counted = [ev for ev in universe.evidence if weights.get(ev.id, 0.0) > 0.0]
    out: dict[str, dict[str, str]] = {}
    for company in universe.companies:
        figures: dict[str, str] = {}
        for e in company.exposures:
            figures[f"exposure {e.layer}"] = sep.join((
                e.as_of.isoformat(), e.known_on().isoformat(), repr(e.share),
                repr(e.ai_fraction), e.period or ""))
        fin = company.financials
        if fin is not None:
            figures["financials"] = sep.join((
                fin.as_of.isoformat(), fin.known_on().isoformat(), repr(fin.revenue_usd),
                fin.period))
        for ev in counted:
            if company.ticker in ev.companies or any(company.share(x) > 0 for x in ev.layers):
                figures[f"claim {ev.id}"] = sep.join((
                    ev.date.isoformat(), ev.direction, repr(ev.strength)))
        out[company.ticker] = figures
    return out


class Snapshot(Model):
    """A watchlist's screen at one moment: every company's score, rank and gate outcome,
    and the basket's weights when the watchlist has a ``[basket]`` table.

    ``basket`` was added after the first snapshots were written: a snapshot without it
    (an older file, or a watchlist without a basket) reads as "no previous basket".
    ``figures`` (added later still; :func:`company_figures`) holds, per ticker, the dated
    figures the screen used when it screened a universe: the diff compares them to say
    which figure changed when a score moved. None for a screen of a plain frame and in
    older files (the diff then says nothing about figures).
    """

    format: Literal["thesis-watch-snapshot"] = "thesis-watch-snapshot"
    version: Literal[1] = 1
    watchlist: str = Field(min_length=1)
    taken_at: dt.datetime
    universe: str = ""
    pack: str = ""
    pack_version: str = ""
    prices: str | None = None
    top: int = Field(ge=1)
    companies: tuple[SnapshotRow, ...] = ()
    basket: SnapshotBasket | None = None
    figures: dict[str, dict[str, str]] | None = None

    _rows: dict[str, SnapshotRow] | None = PrivateAttr(default=None)
    _columns: SnapshotColumns | None = PrivateAttr(default=None)

    @field_validator("companies")
    @classmethod
    def _unique_tickers(cls, value: tuple[SnapshotRow, ...]) -> tuple[SnapshotRow, ...]:
        if len({row.ticker for row in value}) == len(value):
            return value
        seen: set[str] = set()
        for row in value:
            if row.ticker in seen:
                raise PydanticCustomError(
                    "duplicate_ticker", "ticker {ticker} appears twice",
                    {"ticker": row.ticker, "hint": "a snapshot has one row per company"})
            seen.add(row.ticker)
        return value

    def __eq__(self, other: object) -> bool:
        # Equal when the fields are: the cached views below do not count.
        if not isinstance(other, Snapshot):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(tuple(self.__dict__.values()))

    @property
    def columns(self) -> SnapshotColumns:
        """The companies as columns (built once, on first use)."""
        if self._columns is None:
            self._columns = SnapshotColumns.of_rows(self.companies)
        return self._columns

    def row(self, ticker: str) -> SnapshotRow | None:
        """The row of ``ticker``, or None if the company was not in the screen."""
        where = self.columns.tickers.get_indexer([ticker])[0]
        return None if where < 0 else self.companies[where]

    @property
    def rows(self) -> Mapping[str, SnapshotRow]:
        """Every row by ticker (read it once and look up in the mapping in loops)."""
        if self._rows is None:
            self._rows = {row.ticker: row for row in self.companies}
        return self._rows

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(row.ticker for row in self.companies)

    def in_top(self, n: int) -> list[SnapshotRow]:
        """Ranked companies with rank <= ``n``, best first."""
        return [self.companies[i] for i in self.columns.in_top(n)]

    @classmethod
    def from_result(
        cls,
        result: Any,
        *,
        watchlist: str,
        top: int,
        taken_at: dt.datetime,
        universe: str = "",
        prices: str | None = None,
        basket: Any = None,
    ) -> Snapshot:
        """Snapshot a :class:`~thesis_lib.ScreenResult` (every company, in rank order) and,
        if given, the weights of a :class:`~thesis_lib.basket.Basket` built from it."""
        with collection_paused():
            return cls._from_result(result, watchlist=watchlist, top=top, taken_at=taken_at,
                                    universe=universe, prices=prices, basket=basket)

    @classmethod
    def _from_result(cls, result: Any, *, watchlist: str, top: int, taken_at: dt.datetime,
                     universe: str, prices: str | None, basket: Any) -> Snapshot:
        scores = result.scores
        n = len(scores)
        shown = [c for c in ("name", "primary_layer") if c in result.frame.columns]
        frame = result.frame[shown].reindex(scores.index)
        tickers = [str(t) for t in scores.index.tolist()]
        names = (frame["name"].astype("string").fillna("").tolist() if "name" in frame.columns
                 else [""] * n)
        layers = (frame["primary_layer"].astype("object").where(frame["primary_layer"].notna(),
                                                                None).tolist()
                  if "primary_layer" in frame.columns else [None] * n)
        score = np.round(scores["score"].to_numpy(dtype=np.float64), 10)
        rank = scores["rank"].to_numpy(dtype=np.float64, na_value=np.nan)
        passed = scores["passed"].to_numpy(dtype=bool).tolist()
        gates = scores["excluded_by"].astype("object").where(
            scores["excluded_by"].notna(), "").to_numpy(dtype=object)
        # The screen's own values: already checked, so the rows skip validation.
        rows = SnapshotRow.trusted_rows({
            "ticker": tickers, "name": [str(name) for name in names],
            "layer": [None if layer is None else str(layer) for layer in layers],
            "score": score.tolist(),
            "rank": [None if r != r else int(r) for r in rank.tolist()],
            "passed": passed,
            "excluded_by": [tuple(str(why).split(", ")) if why else () for why in gates]})
        snapshot: Snapshot = cls(
            watchlist=watchlist, taken_at=taken_at.astimezone(dt.UTC), universe=universe,
            pack=result.pack.id, pack_version=result.pack.version, prices=prices, top=top,
            companies=tuple(rows),
            basket=None if basket is None else SnapshotBasket.from_basket(basket),
            figures=None if getattr(result, "universe", None) is None
            else company_figures(result.universe))
        snapshot._columns = SnapshotColumns(
            tickers=pd.Index(tickers, dtype="string"), score=score, rank=rank, gates=gates)
        return snapshot

    def to_json(self) -> str:
        """The snapshot as JSON text (what the store writes). Without a basket the file has
        no ``basket`` key at all, and without figures no ``figures`` key, exactly as
        snapshots were before they existed."""
        exclude = {name for name in ("basket", "figures") if getattr(self, name) is None}
        text = self.model_dump_json(indent=1, exclude=exclude or None)
        return text + "\n"

    @classmethod
    def from_json(cls, text: str, *, file: str | None = None) -> Snapshot:
        """Read a snapshot back; :class:`DataError` naming ``file`` if it is damaged."""
        try:  # pydantic's own parser: fast, and bounded in depth
            snapshot: Snapshot = cls.model_validate_json(text)
        except ValidationError:
            pass  # read it again below, for an error that says what and where
        else:
            return snapshot
        data = loads_json(text, file=file, fix=_DAMAGED)
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise DataError("not a thesis watch snapshot", file=file,
                            hint="snapshot files are written by `thesis watch`")
        snapshot = cls.parse(data, file=file)
        return snapshot


@dataclass(frozen=True)
class Baseline:
    """What a run compares with: the newest snapshot dated no later than the run
    (``path`` and ``snapshot``, None when there is none), and the snapshots dated later
    than the run that were passed over (``future``, newest first)."""

    path: Path | None
    snapshot: Snapshot | None
    future: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Pruned:
    """What :meth:`SnapshotStore.prune` did: the snapshot files it ``removed`` (oldest
    first) and those it could not remove, each with the reason (``failed``)."""

    removed: tuple[Path, ...] = ()
    failed: tuple[tuple[Path, str], ...] = ()


class SnapshotStore:
    """The folder of one watchlist's snapshots (see the module docstring).

    >>> store = SnapshotStore("state", "core")            # doctest: +SKIP
    >>> store.latest_path()                               # doctest: +SKIP
    PosixPath('state/core-20260520T070001Z.json')
    """

    def __init__(self, directory: str | os.PathLike[str], watchlist_id: str) -> None:
        self.directory = Path(directory)
        self.watchlist_id = watchlist_id
        self._pattern = re.compile(
            rf"^{re.escape(watchlist_id)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?\.json$")

    def __repr__(self) -> str:
        return f"SnapshotStore({str(self.directory)!r}, {self.watchlist_id!r})"

    # -- reading --------------------------------------------------------------------
    def paths(self) -> list[Path]:
        """Every snapshot file of this watchlist, oldest first."""
        if not self.directory.is_dir():
            return []
        found: list[tuple[str, int, Path]] = []
        try:
            entries = list(self.directory.iterdir())
        except OSError as exc:
            raise DataError(f"cannot list the state directory: {exc.strerror}",
                            file=str(self.directory)) from None
        for path in entries:
            match = self._pattern.match(path.name)
            if match:
                found.append((match.group(1), int(match.group(2) or 1), path))
        return [p for _, _, p in sorted(found)]

    def time_of(self, path: str | os.PathLike[str]) -> dt.datetime | None:
        """The UTC time recorded in a snapshot file's name (None for another name)."""
        match = self._pattern.match(Path(path).name)
        if match is None:
            return None
        try:
            stamp = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")
        except ValueError:  # e.g. month 13: not a time this store wrote
            return None
        return stamp.replace(tzinfo=dt.UTC)

    def latest_path(self, now: dt.datetime | None = None, *,
                    tolerance: dt.timedelta = FUTURE_TOLERANCE) -> Path | None:
        """The newest snapshot file dated no later than ``now`` (the current time by
        default) plus ``tolerance``, by the time in its name; None before the first run."""
        limit = _limit(now, tolerance)
        for path in reversed(self.paths()):
            when = self.time_of(path)
            if when is not None and when <= limit:
                return path
        return None

    def load(self, path: str | os.PathLike[str]) -> Snapshot:
        """Read one snapshot file; :class:`DataError` if it is missing or damaged."""
        file = Path(path)
        text = read_text(file, what="snapshot", fix=_DAMAGED)
        return Snapshot.from_json(text, file=str(file))

    def load_latest(self, now: dt.datetime | None = None, *,
                    tolerance: dt.timedelta = FUTURE_TOLERANCE) -> tuple[Path, Snapshot] | None:
        """The newest snapshot dated no later than ``now`` (+ ``tolerance``) and its path,
        None if there is none (see :meth:`baseline`).

        Raises :class:`DataError` if that file is damaged (it is left in place).
        """
        found = self.baseline(now, tolerance=tolerance)
        if found.path is None or found.snapshot is None:
            return None
        return found.path, found.snapshot

    def baseline(self, now: dt.datetime | None = None, *,
                 tolerance: dt.timedelta = FUTURE_TOLERANCE) -> Baseline:
        """The snapshot a run at ``now`` (the current time by default) compares with.

        Snapshots are taken newest first by the time in their names; one dated later than
        ``now + tolerance`` by its name, or by the ``taken_at`` inside, is passed over and
        listed in :attr:`Baseline.future`. Raises :class:`DataError` if the newest
        snapshot that is not from the future is damaged (it is left in place).
        """
        limit = _limit(now, tolerance)
        future: list[Path] = []
        for path in reversed(self.paths()):
            when = self.time_of(path)
            if when is None:  # a name with no real time (month 13): not one of ours
                continue
            if when > limit:
                future.append(path)
                continue
            snapshot = self.load(path)
            taken = snapshot.taken_at
            if taken.tzinfo is None:
                taken = taken.replace(tzinfo=dt.UTC)
            if taken > limit:
                future.append(path)
                continue
            return Baseline(path, snapshot, tuple(future))
        return Baseline(None, None, tuple(future))

    # -- writing --------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Create the folder if needed and check that files can be written in it."""
        where = str(self.directory)
        hint = "choose a writable folder with --state (or fix its permissions)"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise DataError("the state directory is a file, not a folder", file=where,
                            hint=hint) from None
        except OSError as exc:
            raise DataError(f"cannot create the state directory: {exc.strerror}", file=where,
                            hint=hint) from None
        try:
            fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=self.directory)
        except OSError as exc:
            raise DataError(f"cannot write in the state directory: {exc.strerror}",
                            file=where, hint=hint) from None
        os.close(fd)
        Path(probe).unlink(missing_ok=True)

    def save(self, snapshot: Snapshot) -> Path:
        """Write ``snapshot`` as a new file and return its path; never replaces a file."""
        stamp = snapshot.taken_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        base = f"{self.watchlist_id}-{stamp}"
        text = snapshot.to_json()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = _write_temp(self.directory, base, text)
            try:
                target = _publish(tmp, self.directory, base)
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise DataError(f"cannot write the snapshot: {exc.strerror or exc}",
                            file=str(self.directory),
                            hint="the previous snapshot is untouched; free space or fix "
                                 "permissions and run again") from None
        _fsync_dir(self.directory)
        self._remove_stale_temps()
        return target

    def prune(self, keep: int, *, now: dt.datetime | None = None,
              protect: Sequence[str | os.PathLike[str]] = (),
              tolerance: dt.timedelta = FUTURE_TOLERANCE) -> Pruned:
        """Remove this watchlist's oldest snapshots so that ``keep`` remain.

        Only files of this watchlist (``<id>-<UTC time>.json``, a time that can be read)
        dated no later than ``now`` (the current time by default) plus ``tolerance`` are
        counted, oldest first; the oldest beyond ``keep`` are removed. Never touched:
        other watchlists' files and other files; snapshots from the future, by the time
        in their names or by the ``taken_at`` inside; files that do not read as this
        watchlist's snapshot (damaged: move them aside yourself); and the files in
        ``protect`` (the snapshot a run just saved). Files left for these reasons still
        count among the kept. A file that cannot be removed is listed in
        :attr:`Pruned.failed`, not raised. Raises :class:`DataError` if ``keep`` is not
        1 or more.
        """
        keep = check_keep(keep)
        limit = _limit(now, tolerance)
        kept = {Path(p) for p in protect}
        dated = [p for p in self.paths()
                 if (when := self.time_of(p)) is not None and when <= limit]
        excess = len(dated) - keep
        if excess <= 0:
            return Pruned()
        removed: list[Path] = []
        failed: list[tuple[Path, str]] = []
        for path in dated:  # oldest first
            if excess <= 0:
                break
            if path in kept or not self._prunable(path, limit):
                continue
            excess -= 1
            try:
                path.unlink()
            except FileNotFoundError:
                pass  # removed meanwhile (another run pruning): one fewer all the same
            except OSError as exc:
                failed.append((path, str(exc.strerror or exc)))
            else:
                removed.append(path)
        if removed:
            _fsync_dir(self.directory)
        return Pruned(tuple(removed), tuple(failed))

    def _prunable(self, path: Path, limit: dt.datetime) -> bool:
        """Whether ``path`` reads as this watchlist's snapshot taken no later than
        ``limit`` (one from the future renamed to look old, or a damaged file, is not)."""
        try:
            snapshot = self.load(path)
        except DataError:
            return False
        taken = snapshot.taken_at
        if taken.tzinfo is None:
            taken = taken.replace(tzinfo=dt.UTC)
        return snapshot.watchlist == self.watchlist_id and taken <= limit

    def _remove_stale_temps(self) -> None:
        cutoff = time.time() - STALE_TEMP_SECONDS
        prefix = f".{self.watchlist_id}-"
        with contextlib.suppress(OSError):
            for path in self.directory.iterdir():
                if path.name.startswith(prefix) and path.name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        if path.stat().st_mtime < cutoff:
                            path.unlink()


def _limit(now: dt.datetime | None, tolerance: dt.timedelta) -> dt.datetime:
    """The latest time a baseline may be dated: ``now`` (UTC; naive means UTC) plus
    ``tolerance``."""
    moment = dt.datetime.now(dt.UTC) if now is None else now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment + tolerance


def _write_temp(directory: Path, base: str, text: str) -> Path:
    """Write ``text`` to a new hidden file in ``directory``, flushed to disk; its path."""
    fd, name = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    tmp = Path(name)
    try:
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; use the usual mode
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _publish(tmp: Path, directory: Path, base: str) -> Path:
    """Give ``tmp`` its final name without ever replacing an existing snapshot."""
    for n in range(1, 1000):
        target = directory / (f"{base}.json" if n == 1 else f"{base}-{n}.json")
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        except OSError:
            # No hard links here (some network or FAT file systems): rename instead.
            if target.exists():
                continue
            os.replace(tmp, target)
        return target
    raise DataError("too many snapshots in the same second", file=str(directory))


def _fsync_dir(directory: Path) -> None:
    """Make the new directory entry durable (best effort; not every OS allows it)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
