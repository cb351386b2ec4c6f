"""Quickstart: screen the built-in AI-compute universe with the built-in thesis pack.

Everything here runs offline in about a second: `python examples/quickstart.py`.
The notebook `quickstart.ipynb` holds the same code (regenerate it with
`python examples/make_notebook.py`); there each step shows as a table or a figure.
"""

# %% Load the universe and the thesis pack
import sys

import thesis_lib as tl


def show(obj: object, text: object = None) -> None:
    """In Jupyter, display ``obj`` (an HTML table or a figure); in a script, print ``text``
    (``obj`` itself when not given)."""
    if "IPython" in sys.modules:
        from IPython.display import display

        display(obj)
    else:
        print(obj if text is None else text)


universe = tl.load_universe()
pack = tl.load_pack("one-layer-down")
show(universe)
show(pack, f"pack {pack.id} v{pack.version}: {len(pack.rules)} rules")

# %% Screen: score and rank every company
result = tl.screen(universe, pack)
show(result, f"{result!r}\n{result.to_text(n=10)}")

# %% Why did SK hynix score what it did?
show(result.explain("000660.KS"))

# %% Why is Anthropic not ranked? (a gate excluded it)
show(result.explain("ANTHROPIC"))

# %% Change one weight and rerun
heavier = tl.screen(universe, pack.with_weights({"materiality": 10}))
show(heavier, heavier.top(5).to_string())

# %% Who supplies Nvidia?
suppliers = universe.suppliers("NVDA")
show(suppliers, "\n".join(link.describe() for link in suppliers))

# %% What if? The pack's scenarios against the base screen
scenarios = tl.run_scenarios(universe, pack)
show(scenarios)

# %% One company's score, rule by rule, as a chart (the plot extra: matplotlib)
try:
    from thesis_lib import plots

    figure = plots.contribution_waterfall(result, "000660.KS")
except tl.PlotUnavailableError as error:
    print(error)
else:
    show(figure, f"waterfall of 000660.KS: {len(figure.axes[0].patches)} bars")
