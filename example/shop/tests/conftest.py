"""The shop's own tests: Django test cases over its sample data (``shop_sample``: the
customer alice and a small catalogue), and the regression tests exported from workflows
flowscope captured (docs/test-export.md)."""

import pytest

from flowscope.testing import capture_traces


@pytest.fixture(autouse=True)
def _traces_in_memory():
    """The requests of a test are traced as in production, kept in memory: no writer
    thread outlives a test's database."""
    with capture_traces():
        yield
