"""Enables thesis-lib's pytest plugin for the examples: `pytest examples/` then runs
every expectation in examples/packs/*.pack.toml as a test, next to test_my_pack.py.

In your own project put this line in the top-level conftest.py (pytest only honours
`pytest_plugins` there)."""

pytest_plugins = ["thesis_lib.testing.plugin"]
