from __future__ import annotations

import pytest

from thesis_lib import ChainError, Layer, SupplyChain, ThesisError, load_chain


def _chain(*edges: tuple[str, tuple[str, ...]]) -> SupplyChain:
    return SupplyChain(layers=tuple(Layer(id=i, name=i.upper(), supplies=s) for i, s in edges))


@pytest.fixture
def diamond() -> SupplyChain:
    # top <- mid_a, mid_b <- base ; base also supplies top directly
    return _chain(
        ("top", ()),
        ("mid_a", ("top",)),
        ("mid_b", ("top",)),
        ("base", ("mid_a", "mid_b", "top")),
        ("deep", ("base",)),
    )


def test_below_and_above_use_shortest_paths(diamond: SupplyChain) -> None:
    assert diamond.below("top") == ("mid_a", "mid_b", "base")
    assert diamond.below("top", depth=2) == ("deep",)
    assert diamond.below("top", depth=3) == ()
    assert diamond.above("deep") == ("base",)
    assert diamond.above("deep", depth=2) == ("top", "mid_a", "mid_b")


def test_distance_is_signed(diamond: SupplyChain) -> None:
    assert diamond.distance("top", "deep") == 2
    assert diamond.distance("deep", "top") == -2
    assert diamond.distance("mid_a", "mid_a") == 0
    assert diamond.distance("mid_a", "mid_b") is None


def test_tiers_put_customers_first(diamond: SupplyChain) -> None:
    assert diamond.tiers() == [("top",), ("mid_a", "mid_b"), ("base",), ("deep",)]


def test_cycle_is_rejected_with_the_path() -> None:
    with pytest.raises(ChainError, match=r"cycle: a -> b -> c -> a"):
        _chain(("a", ("b",)), ("b", ("c",)), ("c", ("a",)))


def test_unknown_edge_and_duplicate_reported_together() -> None:
    with pytest.raises(ChainError) as info:
        _chain(("a", ("bb",)), ("b", ()), ("b", ()))
    fields = {(p.item, p.field) for p in info.value.problems}
    assert ("layer 'a'", "supplies[0]") in fields
    assert ("layer 'b'", "id") in fields
    assert "did you mean 'b'" in str(info.value)


def test_self_loop_rejected() -> None:
    with pytest.raises(ChainError, match="cannot supply itself"):
        _chain(("a", ("a",)))


def test_unknown_layer_query_suggests(diamond: SupplyChain) -> None:
    with pytest.raises(ChainError, match="did you mean 'mid_b' or 'mid_a'"):
        diamond.below("mid_x")
    with pytest.raises(ChainError, match="depth"):
        diamond.below("top", depth=0)


def test_bad_layer_id_is_a_thesis_error() -> None:
    with pytest.raises(ThesisError) as info:
        Layer(id="Not Snake", name="x")
    assert info.value.field == "id"


def test_builtin_chain_shape() -> None:
    chain = load_chain()
    assert set(chain.below("accelerators")) >= {"hbm", "packaging", "foundry"}
    assert set(chain.below("cloud")) >= {"grid", "power", "siting", "accelerators"}
    assert chain.distance("accelerators", "hbm") == 1
    required = {"frontier_labs", "cloud", "accelerators", "custom_asic", "hbm", "packaging",
                "foundry", "grid", "power", "siting"}
    assert required <= set(chain.ids)
