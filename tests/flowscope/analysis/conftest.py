import pytest

from flowscope.analysis import rollup_hours


@pytest.fixture(autouse=True)
def _no_kept_rollup_hours():
    """Hours of rollups kept by one test's long windows never answer for the next one's."""
    rollup_hours.forget()
    yield
    rollup_hours.forget()
