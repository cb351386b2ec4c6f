"""The frozen pydantic base shared by every model, and the bridge from pydantic's errors to ours.

pydantic's ``ValidationError`` never reaches a user: :class:`Model` turns it into the
library's own error (a :class:`~thesis_lib.errors.DataError` unless a subclass says
otherwise) with one :class:`~thesis_lib.errors.Problem` per failure, each naming the
object (``company 'MU'``) and the field (``exposures[0].share``) and saying how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from thesis_lib._bulk import collection_paused
from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import DataError, Problem, ThesisError

# Which key names the items of each list field, for messages such as "company 'MU'".
_ITEM_KEYS: dict[str, tuple[str, str]] = {
    "companies": ("company", "ticker"),
    "layers": ("layer", "id"),
    "evidence": ("evidence", "id"),
    "rules": ("rule", "id"),
    "expect": ("expectation", "id"),
    "expectations": ("expectation", "id"),
    "scenarios": ("scenario", "id"),
}


class Model(BaseModel):
    """Base of every thesis-lib model: frozen, strict about unknown fields, our own errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    #: The error class raised when validation fails.
    error_class: ClassVar[type[ThesisError]] = DataError
    #: How errors name an instance: (label, key field), e.g. ("company", "ticker").
    item_label: ClassVar[tuple[str, str] | None] = None

    def __init__(self, /, **data: Any) -> None:
        # Building a model directly (``Company(...)``) translates pydantic's errors into
        # ours. Marked as pydantic's own constructor (below), so pydantic does not route
        # validation through it: nested models and ``model_validate`` validate once, and
        # a model validator (a pack compiling its rules) runs exactly once per build.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self.error_class(problems_from_validation(exc, data, type(self))) from None

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """pydantic's ``model_validate``, raising this library's error instead of
        ``ValidationError`` (pydantic does not call it for nested models)."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise cls.error_class(problems_from_validation(exc, obj, cls)) from None

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, file: str | None = None) -> Any:
        """Validate ``data`` (e.g. parsed TOML) into this model, naming ``file`` in any error."""
        try:
            return BaseModel.model_validate.__func__(cls, data)  # type: ignore[attr-defined]
        except ValidationError as exc:
            raise cls.error_class(problems_from_validation(exc, data, cls, file=file)) from None
        except ThesisError as exc:
            raise type(exc)([p.located(file=file) for p in exc.problems]) from None

    @classmethod
    def trusted_rows(cls, columns: Mapping[str, Sequence[Any]]) -> list[Self]:
        """Many instances from equal-length columns of values that are already valid (a
        screen's own output), one per position, without validation.

        Each instance equals what ``model_construct`` gives for the same values, at a
        fraction of the cost; for models without private attributes or a post-init hook,
        and the columns must name every field exactly.
        """
        names = tuple(columns)
        if set(names) != set(cls.model_fields):
            raise ValueError(f"{cls.__name__}.trusted_rows needs exactly the fields "
                             f"{sorted(cls.model_fields)}, got {sorted(names)}")
        if cls.__private_attributes__ or cls.__pydantic_post_init__:
            raise TypeError(f"{cls.__name__} has private attributes or a post-init hook; "
                            "use model_construct")
        fields_set = set(names)
        new, put = cls.__new__, object.__setattr__
        rows = []
        with collection_paused():
            for values in zip(*columns.values(), strict=True):
                row = new(cls)
                put(row, "__dict__", dict(zip(names, values, strict=True)))
                put(row, "__pydantic_fields_set__", fields_set)  # frozen: never changed
                put(row, "__pydantic_extra__", None)
                put(row, "__pydantic_private__", None)
                rows.append(row)
        return rows


def _describe_loc(
    loc: Sequence[int | str], data: Any, model: type[BaseModel] | None
) -> tuple[str | None, str | None]:
    """Split a pydantic location into (item, field) using the input data to name items."""
    item: str | None = None
    field_parts: list[str] = []
    node: Any = data
    i = 0
    while i < len(loc):
        part = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(part, str) and part in _ITEM_KEYS and isinstance(nxt, int):
            label, key = _ITEM_KEYS[part]
            child = None
            if isinstance(node, Mapping):
                seq = node.get(part)
                if isinstance(seq, Sequence) and not isinstance(seq, str) and nxt < len(seq):
                    child = seq[nxt]
            name = child.get(key) if isinstance(child, Mapping) else None
            item = f"{label} {name!r}" if isinstance(name, str) and name else f"{label} #{nxt + 1}"
            field_parts = []
            node = child
            i += 2
            continue
        if isinstance(part, int):
            if field_parts:
                field_parts[-1] += f"[{part}]"
            else:
                field_parts.append(f"[{part}]")
            node = node[part] if isinstance(node, Sequence) and part < len(node) else None
        else:
            field_parts.append(part)
            node = node.get(part) if isinstance(node, Mapping) else None
        i += 1
    return item, ".".join(field_parts) or None


_HINTS: dict[str, str] = {
    "missing": "add this field",
    "string_type": "write it as a quoted string",
    "float_type": "write a number",
    "float_parsing": "write a number",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "bool_type": "write true or false, without quotes",
    "bool_parsing": "write true or false",
    "date_type": "write a date such as 2026-05-07 (unquoted in TOML)",
    "date_parsing": "write a date such as 2026-05-07 (unquoted in TOML)",
    "date_from_datetime_parsing": "write a date such as 2026-05-07 (unquoted in TOML)",
    "string_pattern_mismatch": "check the allowed format",
    "string_too_short": "it must not be empty",
    "literal_error": "use one of the allowed values",
    "list_type": "write a list, e.g. [\"a\", \"b\"]",
    "tuple_type": "write a list, e.g. [\"a\", \"b\"]",
}


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{msg}, got {err.get('input')!r}"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def problems_from_validation(
    exc: ValidationError,
    data: Any,
    model: type[BaseModel] | None = None,
    *,
    file: str | None = None,
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, located by item and field."""
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    for err in errors:
        loc = err["loc"]
        if _cascade(err, errors):
            continue
        item, field = _describe_loc(loc, data, model)
        if item is None:
            item = _top_item(data, model)
        ctx = err.get("ctx") or {}
        hint = ctx.get("hint") if isinstance(ctx.get("hint"), str) else None
        if isinstance(ctx.get("field"), str):
            field = f"{field}.{ctx['field']}" if field else ctx["field"]
        if hint is None and err["type"] == "extra_forbidden" and loc:
            hint = _extra_field_hint(str(loc[-1]), loc, model)
        if hint is None:
            hint = _HINTS.get(err["type"])
        if (hint is None and err["type"] in ("greater_than_equal", "less_than_equal")
                and str(loc[-1] if loc else "") in ("share", "confidence", "strength")):
            hint = "shares and confidences are fractions between 0 and 1, e.g. 0.25 for 25%"
        problems.append(Problem(_message(err), file=file, item=item, field=field, hint=hint))
    return problems


def _cascade(err: ErrorDetails, errors: Sequence[ErrorDetails]) -> bool:
    """A list "too short" error caused by its own items failing (pydantic counts a list
    after dropping the items that failed, so a pack whose only rule has a bad weight would
    also be told it has no rules): the item errors say what is wrong, this one is noise."""
    if err["type"] != "too_short":
        return False
    loc = tuple(err["loc"])
    return any(len(other["loc"]) > len(loc) and tuple(other["loc"][:len(loc)]) == loc
               for other in errors)


def _top_item(data: Any, model: type[BaseModel] | None) -> str | None:
    label = getattr(model, "item_label", None)
    if not label or not isinstance(data, Mapping):
        return None
    name = data.get(label[1])
    return f"{label[0]} {name!r}" if isinstance(name, str) and name else None


def _extra_field_hint(name: str, loc: Sequence[int | str], model: type[BaseModel] | None) -> str:
    fields = _fields_at(loc[:-1], model)
    if not fields:
        return "remove it or check its spelling"
    suggestion = did_you_mean(name, fields, what="fields")
    return f"remove it or check its spelling; {suggestion}" if suggestion else "remove it"


def _fields_at(loc: Sequence[int | str], model: type[BaseModel] | None) -> list[str]:
    """The field names of the model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        current = _model_in(info.annotation)
    if current is None or not hasattr(current, "model_fields"):
        return []
    return list(current.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
