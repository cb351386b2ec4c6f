"""Quickstart: screen the built-in AI-compute universe with the built-in thesis pack.

Everything here runs offline in about a second: `python examples/quickstart.py`.
The notebook `quickstart.ipynb` holds the same code (regenerate it with
`python examples/make_notebook.py`).
"""

# %% Load the universe and the thesis pack
import thesis_lib as tl

universe = tl.load_universe()
pack = tl.load_pack("one-layer-down")
print(universe)
print(f"pack {pack.id} v{pack.version}: {len(pack.rules)} rules")

# %% Screen: score and rank every company
result = tl.screen(universe, pack)
print(result)
print(result.to_text(n=10))

# %% Why did SK hynix score what it did?
print(result.explain("000660.KS"))

# %% Change one weight and rerun
heavier = tl.screen(universe, pack.with_weights({"materiality": 10}))
print(heavier.top(5).to_string())
