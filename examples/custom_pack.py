"""A thesis of your own: a rule pack written in Python, checked, screened, saved as TOML.

Runs offline: `python examples/custom_pack.py`.
"""

import tempfile
from pathlib import Path

import thesis_lib as tl

# A narrower thesis than the built-in one: the memory wall. HBM and the advanced
# packaging that stacks it capture the value; revenue outside the chain dilutes it.
pack = tl.RulePack(
    id="memory-wall",
    version="0.1.0",
    description="HBM and advanced packaging capture the AI memory wall.",
    rules=[
        tl.Rule(id="listed", kind="gate", expression="listed", missing="error",
                why="Only listed companies can be bought."),
        tl.Rule(id="in_memory_chain", kind="gate",
                expression='exposure("hbm") + exposure("packaging") > 0', missing="zero",
                why="The thesis is about memory and packaging; everyone else is out of scope."),
        tl.Rule(id="hbm", expression='exposure("hbm")', weight=10, missing="zero",
                why="High-bandwidth memory is the scarce part of every accelerator."),
        tl.Rule(id="packaging", expression='exposure("packaging")', weight=6, missing="zero",
                why="HBM has to be stacked next to the GPU: CoWoS-class packaging."),
        tl.Rule(id="diluted", kind="penalty", expression="1 - exposure_total", weight=2,
                missing="zero", why="Revenue outside the AI-compute chain dilutes the thesis."),
    ],
    expect=[tl.Expectation(above=("000660.KS", "NVDA"), why="HBM over the priced layer.")],
)

universe = tl.load_universe()
print(f"pack {pack.id}: {len(pack.rules)} rules, problems: {pack.problems(universe) or 'none'}")

# A mistake is caught when the pack is built, with the rule, the column and a suggestion.
try:
    tl.RulePack(id="typo", rules=[tl.Rule(id="hbm", expression='exposure("hmb")',
                                          why="a misspelt layer")])
except tl.RuleError as error:
    print(f"caught: {error}")

result = tl.screen(universe, pack)
print(result)
print(result.to_text(n=5))



def place(ticker: str) -> float:
    """A company's rank; an excluded company counts as below every ranked one."""
    rank = result.explain(ticker).rank
    return float("inf") if rank is None else rank


for expectation in pack.expect:
    first, second = expectation.above or ("", "")
    holds = place(first) < place(second)
    print(f"expectation {expectation.describe()}: {'holds' if holds else 'FAILS'}")

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "memory-wall.toml"
    path.write_text(pack.to_toml(), encoding="utf-8")
    again = tl.load_pack(path)
    print(f"saved to TOML and loaded back: {'equal' if again == pack else 'DIFFERENT'}")
