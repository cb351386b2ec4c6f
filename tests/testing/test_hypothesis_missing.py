"""Without hypothesis (the testing extra) the property checks and strategies say how to
install it instead of failing with a bare ModuleNotFoundError."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from thesis_lib.errors import HypothesisUnavailableError, ThesisError

ROOT = Path(__file__).resolve().parents[2]
HINT = 'pip install "thesis-lib[dev]"'


class _NoHypothesis:
    """A meta-path finder that fails `import hypothesis` as a missing package does."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


BLOCKER = f"""
import sys
{inspect.getsource(_NoHypothesis)}
sys.meta_path.insert(0, _NoHypothesis())
"""


@pytest.fixture
def no_hypothesis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import hypothesis` fail as it does when the package is not installed."""
    for name in list(sys.modules):
        if name == "hypothesis" or name.startswith("hypothesis."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoHypothesis(), *sys.meta_path])
    for name in ("thesis_lib.testing.properties", "thesis_lib.testing.strategies"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    testing = importlib.import_module("thesis_lib.testing")
    for attr in ("properties", "strategies"):
        monkeypatch.delattr(testing, attr, raising=False)


@pytest.mark.usefixtures("no_hypothesis")
@pytest.mark.parametrize("module", ["thesis_lib.testing.strategies",
                                    "thesis_lib.testing.properties"])
def test_importing_the_checks_without_hypothesis_names_the_extra(module: str):
    with pytest.raises(HypothesisUnavailableError) as caught:
        importlib.import_module(module)
    error = caught.value
    assert isinstance(error, ThesisError) and isinstance(error, ModuleNotFoundError)
    assert error.name == "hypothesis"
    assert "need hypothesis, which is not installed" in str(error)
    assert HINT in str(error) and 'pip install "thesis-lib[testing]"' in str(error)


@pytest.mark.usefixtures("no_hypothesis")
def test_the_lazy_names_of_thesis_lib_testing_raise_it_too():
    import thesis_lib.testing as testing

    with pytest.raises(HypothesisUnavailableError, match=r"thesis-lib\[dev\]"):
        testing.assert_monotone  # noqa: B018
    # What needs no hypothesis still works.
    assert callable(testing.check_pack)


@pytest.mark.usefixtures("no_hypothesis")
def test_importorskip_still_skips_on_it():
    with pytest.raises(pytest.skip.Exception):
        pytest.importorskip("thesis_lib.testing.strategies")


def test_another_missing_module_is_not_disguised(monkeypatch: pytest.MonkeyPatch):
    from thesis_lib.errors import hypothesis_missing

    other = ModuleNotFoundError("No module named 'attr'", name="attr")
    assert hypothesis_missing(other) is other
    inner = ModuleNotFoundError("No module named 'hypothesis.extra'", name="hypothesis.extra")
    assert isinstance(hypothesis_missing(inner), HypothesisUnavailableError)


def test_pytest_examples_without_hypothesis_shows_the_install_hint(tmp_path: Path):
    """`pytest examples/` as a user without the testing extra runs it."""
    code = (BLOCKER + "import pytest\n"
            "sys.exit(pytest.main(['-p', 'no:hypothesispytest', '-p', 'no:cacheprovider', "
            f"'-q', '--rootdir', {str(ROOT / 'examples')!r}, "
            f"{str(ROOT / 'examples')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=240, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "HypothesisUnavailableError" in out and HINT in out, out[-3000:]
    assert "No module named 'hypothesis'" not in out
