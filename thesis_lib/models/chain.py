"""Supply-chain layers and the directed graph that links them.

A layer *supplies* the layers it sells into: HBM supplies accelerators, accelerators
supply cloud, cloud supplies frontier labs. "Below" follows supply edges down (towards
suppliers), "above" follows them up (towards customers). So ``chain.below("accelerators")``
is the set of layers one step under the priced layer, a query rather than a hard-coded list.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Annotated

from pydantic import Field, PrivateAttr, StringConstraints, model_validator

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import ChainError, Problem
from thesis_lib.models._base import Model

LayerId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64)
]
"""A layer id: lower_snake_case, e.g. ``hbm`` or ``frontier_labs``."""


class Layer(Model):
    """One layer of the supply chain, e.g. HBM memory or grid interconnect."""

    item_label = ("layer", "id")

    error_class = ChainError

    id: LayerId
    name: str = Field(min_length=1)
    description: str = ""
    supplies: tuple[LayerId, ...] = ()
    """Ids of the layers this one sells into (its customers)."""
    constraint: str | None = Field(default=None, min_length=1)
    """The binding constraint on capacity that this layer is, or relieves, if any
    (e.g. "grid interconnection queues"); :meth:`SupplyChain.constraints` lists them."""


class SupplyChain(Model):
    """A directed acyclic graph of :class:`Layer` objects linked by "supplies" edges.

    Validation rejects duplicate layer ids, edges to unknown layers, self-loops and
    cycles, naming the layer and the edge at fault.
    """

    error_class = ChainError

    id: str = Field(default="custom", min_length=1)
    name: str = ""
    description: str = ""
    layers: tuple[Layer, ...] = Field(min_length=1)

    _by_id: dict[str, Layer] = PrivateAttr(default_factory=dict)
    _suppliers: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)
    _customers: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_graph(self) -> SupplyChain:
        problems: list[Problem] = []
        seen: set[str] = set()
        for layer in self.layers:
            if layer.id in seen:
                problems.append(
                    Problem(
                        "duplicate layer id",
                        item=f"layer {layer.id!r}",
                        field="id",
                        hint="give every layer a unique id",
                    )
                )
            seen.add(layer.id)
        for layer in self.layers:
            for j, target in enumerate(layer.supplies):
                if target == layer.id:
                    problems.append(
                        Problem(
                            "a layer cannot supply itself",
                            item=f"layer {layer.id!r}",
                            field=f"supplies[{j}]",
                            hint="remove the self-edge",
                        )
                    )
                elif target not in seen:
                    problems.append(
                        Problem(
                            f"supplies unknown layer {target!r}",
                            item=f"layer {layer.id!r}",
                            field=f"supplies[{j}]",
                            hint=did_you_mean(target, seen, what="layers"),
                        )
                    )
        if problems:
            raise ChainError(problems)
        cycle = _find_cycle({layer.id: layer.supplies for layer in self.layers})
        if cycle:
            path = " -> ".join(cycle)
            raise ChainError(
                f"supply edges form a cycle: {path}",
                item=f"layer {cycle[0]!r}",
                field="supplies",
                hint="a layer cannot (indirectly) supply one of its own suppliers; remove an edge",
            )
        self._index()
        return self

    def _index(self) -> None:
        self._by_id = {layer.id: layer for layer in self.layers}
        customers = {layer.id: tuple(layer.supplies) for layer in self.layers}
        suppliers: dict[str, list[str]] = {layer.id: [] for layer in self.layers}
        for layer in self.layers:
            for target in layer.supplies:
                suppliers[target].append(layer.id)
        self._customers = customers
        self._suppliers = {k: tuple(v) for k, v in suppliers.items()}

    # -- lookups -------------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        """Layer ids in the order they were declared."""
        return tuple(layer.id for layer in self.layers)

    def __contains__(self, layer_id: object) -> bool:
        return layer_id in self._by_id

    def __iter__(self) -> Iterator[Layer]:  # type: ignore[override]
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def layer(self, layer_id: str) -> Layer:
        """The layer with this id; :class:`ChainError` with a suggestion if there is none."""
        self._require(layer_id)
        return self._by_id[layer_id]

    def suppliers(self, layer_id: str) -> tuple[str, ...]:
        """Layers that supply ``layer_id`` directly (one step below)."""
        self._require(layer_id)
        return self._suppliers[layer_id]

    def customers(self, layer_id: str) -> tuple[str, ...]:
        """Layers that ``layer_id`` supplies directly (one step above)."""
        self._require(layer_id)
        return self._customers[layer_id]

    # -- graph queries -------------------------------------------------------------------
    def below(self, layer_id: str, depth: int = 1) -> tuple[str, ...]:
        """Layers exactly ``depth`` supply steps below ``layer_id`` (by the shortest path).

        ``chain.below("accelerators")`` gives the direct suppliers of the accelerator
        layer; ``depth=2`` their suppliers that are not also one step away.
        """
        return self._at_depth(layer_id, depth, self._suppliers)

    def above(self, layer_id: str, depth: int = 1) -> tuple[str, ...]:
        """Layers exactly ``depth`` supply steps above ``layer_id`` (by the shortest path)."""
        return self._at_depth(layer_id, depth, self._customers)

    def distance(self, a: str, b: str) -> int | None:
        """Supply steps from ``a`` down to ``b``.

        Positive when ``b`` lies below ``a`` (``distance("accelerators", "hbm") == 1``),
        negative when it lies above, 0 for the same layer, ``None`` when neither is
        reachable from the other along supply edges.
        """
        self._require(a)
        self._require(b)
        if a == b:
            return 0
        down = self._distances(a, self._suppliers)
        if b in down:
            return down[b]
        up = self._distances(a, self._customers)
        if b in up:
            return -up[b]
        return None

    def peers(self, layer_id: str) -> tuple[str, ...]:
        """Layers that sell into at least one of the same customer layers as ``layer_id``.

        ``chain.peers("accelerators")`` includes ``custom_asic``: the other way to put
        silicon in front of the same buyers.
        """
        mine = set(self.customers(layer_id))
        return tuple(lid for lid in self.ids
                     if lid != layer_id and mine & set(self._customers[lid]))

    def substitutes(self, layer_id: str) -> tuple[str, ...]:
        """Peers that also buy from at least one of ``layer_id``'s supplier layers.

        A substitute occupies the same place in the chain: ``custom_asic`` for
        ``accelerators`` (both buy HBM, packaging and wafers and sell to clouds and labs).
        """
        inputs = set(self.suppliers(layer_id))
        return tuple(lid for lid in self.peers(layer_id) if inputs & set(self._suppliers[lid]))

    def favoured(self, layer_id: str) -> tuple[str, ...]:
        """Where value moves away from ``layer_id``, by the chain's own shape.

        The union of the layers one supply step below it (:meth:`below`), its
        :meth:`substitutes`, and the layers that are or relieve a binding constraint
        (:meth:`constraints`), in chain order, ``layer_id`` itself left out. For the
        built-in chain, ``favoured("accelerators")`` is HBM, packaging, foundry, custom
        ASIC, grid, power and siting: the thesis's "one layer down" read.
        """
        picked = {*self.below(layer_id), *self.substitutes(layer_id), *self.constraints()}
        picked.discard(layer_id)
        return tuple(lid for lid in self.ids if lid in picked)

    def constraints(self) -> tuple[str, ...]:
        """Layers that are, or relieve, a binding constraint (those with ``constraint``)."""
        return tuple(layer.id for layer in self.layers if layer.constraint)

    def tiers(self) -> list[tuple[str, ...]]:
        """Layers grouped by their longest distance from the top (customers first)."""
        level: dict[str, int] = {}
        for layer_id in _topological(self._suppliers):
            parents = [level[c] for c in self._customers[layer_id]]
            level[layer_id] = 1 + max(parents) if parents else 0
        out: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for layer_id in self.ids:
            out[level[layer_id]].append(layer_id)
        return [tuple(t) for t in out]

    def __repr__(self) -> str:
        return f"SupplyChain(id={self.id!r}, layers={list(self.ids)!r})"

    __str__ = __repr__

    # -- helpers -------------------------------------------------------------------------
    def _require(self, layer_id: str) -> None:
        if layer_id not in self._by_id:
            raise ChainError(
                f"unknown layer {layer_id!r}",
                item=f"chain {self.id!r}",
                hint=did_you_mean(layer_id, self._by_id, what="layers"),
            )

    def _distances(self, start: str, edges: dict[str, tuple[str, ...]]) -> dict[str, int]:
        dist = {start: 0}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in edges[node]:
                if nxt not in dist:
                    dist[nxt] = dist[node] + 1
                    queue.append(nxt)
        del dist[start]
        return dist

    def _at_depth(
        self, layer_id: str, depth: int, edges: dict[str, tuple[str, ...]]
    ) -> tuple[str, ...]:
        self._require(layer_id)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ChainError(
                f"depth must be a whole number >= 1, got {depth!r}",
                item=f"chain {self.id!r}",
                hint="use depth=1 for the layers directly below or above",
            )
        dist = self._distances(layer_id, edges)
        return tuple(lid for lid in self.ids if dist.get(lid) == depth)


def _find_cycle(edges: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle as a list of ids (first id repeated at the end), or None."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(edges, white)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = grey
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in color:
                continue
            if color[nxt] == grey:
                return [*stack[stack.index(nxt) :], nxt]
            if color[nxt] == white:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        color[node] = black
        return None

    for node in edges:
        if color[node] == white:
            found = visit(node)
            if found:
                return found
    return None


def _topological(edges: dict[str, tuple[str, ...]]) -> list[str]:
    """Order nodes so that every node comes after all nodes with an edge into it."""
    indegree = dict.fromkeys(edges, 0)
    for targets in edges.values():
        for t in targets:
            indegree[t] += 1
    queue = deque(n for n, d in indegree.items() if d == 0)
    order: list[str] = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for t in edges[node]:
            indegree[t] -= 1
            if indegree[t] == 0:
                queue.append(t)
    return order
