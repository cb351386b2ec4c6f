"""Basket rules: the :class:`BasketRules` model (defined in
:mod:`thesis_lib.models.basket_rules`, where a rule pack can check its ``[basket]`` table)
and :func:`load_basket_rules`, which reads one from a TOML file."""

from __future__ import annotations

import os
from collections.abc import Mapping

from thesis_lib.basket.errors import BasketError
from thesis_lib.loading import read_toml
from thesis_lib.models.basket_rules import (
    DEFAULT_RULES,
    BasketRules,
    Weighting,
    default_buffer,
    default_name_cap,
)

__all__ = ["DEFAULT_RULES", "BasketRules", "Weighting", "default_buffer", "default_name_cap",
           "load_basket_rules"]


def load_basket_rules(path: str | os.PathLike[str]) -> BasketRules:
    """Read the ``[basket]`` table of a TOML file (a file of its own, a pack or a watchlist).

    Only the ``[basket]`` table is read; everything else in the file is ignored. Raises
    :class:`~thesis_lib.basket.errors.BasketError` naming the file and field on any problem.
    """
    file = str(path)
    data = read_toml(path, error=BasketError)
    table = data.get("basket")
    if table is None:
        raise BasketError("no [basket] table in the file", file=file,
                          hint="add a [basket] table, e.g. [basket] with top_n = 15")
    if not isinstance(table, Mapping):
        raise BasketError("'basket' must be a table", file=file, field="basket",
                          hint="write it as a [basket] table")
    try:
        rules: BasketRules = BasketRules.parse(table, file=file)
    except BasketError as exc:
        raise BasketError([p.located(item="[basket]") for p in exc.problems]) from None
    return rules
