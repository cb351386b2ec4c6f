"""Tools for testing thesis-lib objects and rule packs in your own test suite.

Needs the test tools (``pip install "thesis-lib[dev]"``): the strategies use hypothesis.
"""
