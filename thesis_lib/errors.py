"""Every error thesis-lib raises, in one tree.

::

    ThesisError                     catch this to catch everything from thesis-lib
    ├── DataError                   a universe, chain or evidence file (or object) is wrong
    │   └── ChainError              the supply-chain graph is wrong (unknown layer, cycle)
    ├── RuleError                   a rule pack is wrong
    │   └── ExpressionError         one expression does not parse or is not allowed
    ├── ScreenError                 screening could not run on the data given
    │   ├── MissingDataError        a rule with policy "error" met missing data
    │   └── EngineUnavailableError  an engine (DuckDB, sqlglot, PySpark) is not installed
    ├── BasketError                 basket rules are wrong or cannot be met
    ├── EvaluationError             evaluation could not run on the inputs given
    │   └── MissingFxError          dollar returns asked for, a listing's currency or FX is missing
    ├── PlotUnavailableError        a plot needs the ``plot`` extra (matplotlib)
    └── MarketDataError             prices or fundamentals could not be had
        ├── ProviderUnavailableError   an optional extra is not installed
        ├── RateLimitError          the data source throttled us
        ├── SourceUnavailableError  the source timed out or dropped the connection
        └── SymbolNotFoundError     the source does not know a ticker

Each error carries one or more :class:`Problem` records, so a validator can
report every mistake at once instead of stopping at the first. ``str(error)``
prints them one per line in the form ``file: where: field: what (how to fix)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BasketError",
    "ChainError",
    "DataError",
    "EngineUnavailableError",
    "EvaluationError",
    "ExpressionError",
    "HypothesisUnavailableError",
    "MarketDataError",
    "MissingDataError",
    "MissingFxError",
    "PlotUnavailableError",
    "Problem",
    "ProviderUnavailableError",
    "RateLimitError",
    "RuleError",
    "ScreenError",
    "SourceUnavailableError",
    "SymbolNotFoundError",
    "ThesisError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that is wrong, and where.

    ``file`` is the path of the file it came from (if any); ``item`` names the
    object inside it (``company 'MU'``, ``rule 'hbm'``, ``layer 'hbm'``);
    ``field`` is the field inside that object; ``position`` is a 1-based
    column inside an expression; ``hint`` says how to fix it.
    """

    message: str
    file: str | None = None
    item: str | None = None
    field: str | None = None
    position: int | None = None
    hint: str | None = None

    def where(self) -> str:
        """The location part of the message, e.g. ``pack.toml: rule 'x': expression, col 7``."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.item:
            parts.append(self.item)
        if self.field:
            col = "" if self.position is None else f", col {self.position}"
            parts.append(f"{self.field}{col}")
        elif self.position is not None:
            parts.append(f"col {self.position}")
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def located(self, *, file: str | None = None, item: str | None = None) -> Problem:
        """A copy with a file and/or item filled in where they were missing."""
        return Problem(
            message=self.message,
            file=self.file or file,
            item=self.item or item,
            field=self.field,
            position=self.position,
            hint=self.hint,
        )


class ThesisError(Exception):
    """Root of every error thesis-lib raises.

    ``problems`` lists everything found wrong (at least one). The first one is
    also available as ``problem``, and its parts as ``file``, ``item``,
    ``field``, ``position`` and ``hint``.
    """

    problems: tuple[Problem, ...]

    def __init__(
        self,
        message: str | Problem | Iterable[Problem],
        *,
        file: str | None = None,
        item: str | None = None,
        field: str | None = None,
        position: int | None = None,
        hint: str | None = None,
    ) -> None:
        if isinstance(message, str):
            problems: tuple[Problem, ...] = (
                Problem(message, file=file, item=item, field=field, position=position, hint=hint),
            )
        elif isinstance(message, Problem):
            problems = (message.located(file=file, item=item),)
        else:
            problems = tuple(p.located(file=file, item=item) for p in message)
            if not problems:
                raise ValueError("a ThesisError needs at least one problem")
        self.problems = problems
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    @property
    def problem(self) -> Problem:
        return self.problems[0]

    @property
    def file(self) -> str | None:
        return self.problem.file

    @property
    def item(self) -> str | None:
        return self.problem.item

    @property
    def field(self) -> str | None:
        return self.problem.field

    @property
    def position(self) -> int | None:
        return self.problem.position

    @property
    def hint(self) -> str | None:
        return self.problem.hint


class DataError(ThesisError):
    """A universe, chain or evidence file, or the objects built from it, is wrong."""


class ChainError(DataError):
    """The supply-chain graph is wrong: an unknown layer, a duplicate, or a cycle."""


class RuleError(ThesisError):
    """A rule pack is wrong: a bad field, a duplicate rule id, a bad expression."""


class ExpressionError(RuleError):
    """An expression does not parse, uses something not allowed, or names an unknown column."""


class ScreenError(ThesisError):
    """Screening could not run on the data given (e.g. a frame without required columns)."""


class MissingDataError(ScreenError):
    """A rule whose missing-data policy is ``error`` met a missing or non-finite value."""


class EngineUnavailableError(ScreenError, ModuleNotFoundError):
    """An engine or SQL tool was asked for but its optional extra is not installed
    (DuckDB or sqlglot: the ``sql`` extra). Also a :class:`ModuleNotFoundError` whose
    ``name`` is the missing module, so code that skips on a missing module still does."""


class BasketError(ThesisError):
    """Basket rules are wrong, or cannot be met by the companies the screen selected.

    Raised for a bad ``[basket]`` table (naming the file and field), a previous basket
    with bad weights, and caps that make weights summing to 1 impossible (for example
    10 names with a 5% name cap can hold only 50%).
    """


class EvaluationError(ThesisError):
    """Evaluation could not run on the inputs given (bad shapes, too few names, no prices)."""


class MissingFxError(EvaluationError):
    """Returns in US dollars were asked for (the default), but a listing's quote currency
    is unknown or there is no dollar rate series for it. The message names each ticker and
    what is missing; pass the FX closes (``KRW=X``), ``currencies=``, or
    ``currency="local"``."""


class PlotUnavailableError(ThesisError):
    """A plot was asked for but matplotlib (the ``plot`` extra) is not installed."""


class HypothesisUnavailableError(ThesisError, ModuleNotFoundError):
    """The property checks or strategies of :mod:`thesis_lib.testing` were imported but
    hypothesis (the ``testing`` extra) is not installed.

    Also a :class:`ModuleNotFoundError` (``name`` is ``"hypothesis"``), so code that skips
    on a missing module (for example ``pytest.importorskip``) still does.
    """


TESTING_HINT = ('pip install "thesis-lib[dev]" for everything the examples and tests use, '
                'or pip install "thesis-lib[testing]" for these checks only')
"""How to install what :mod:`thesis_lib.testing`'s property checks and strategies need."""


def hypothesis_missing(exc: ModuleNotFoundError) -> ImportError:
    """The error to raise when importing hypothesis failed with ``exc``: a
    :class:`HypothesisUnavailableError` with the install hint when hypothesis itself is
    missing, ``exc`` unchanged when something else is (a broken installation)."""
    if (exc.name or "").split(".")[0] != "hypothesis":
        return exc
    error = HypothesisUnavailableError(
        "the property checks (assert_monotone, assert_bounded, ...) and strategies of "
        "thesis_lib.testing need hypothesis, which is not installed", hint=TESTING_HINT)
    error.name = "hypothesis"
    return error


class MarketDataError(ThesisError):
    """Market data could not be fetched or read."""


class ProviderUnavailableError(MarketDataError):
    """A market-data provider needs an optional extra that is not installed."""


class RateLimitError(MarketDataError):
    """The data source refused requests because too many were made."""


class SourceUnavailableError(MarketDataError):
    """The data source did not answer (timeout, dropped connection, server error) in time."""


class SymbolNotFoundError(MarketDataError):
    """The data source does not know a ticker (delisted, misspelt, or wrong suffix)."""

