"""Alerts tests record real traces through the store pipeline and show its committed
batches to evaluators of their own (one per simulated process)."""

import pytest

from flowscope.alerts.evaluation import evaluate_committed
from flowscope.recording.losses import Losses
from flowscope.recording.store_pipeline import StorePipeline, add_sink, remove_sink
from tests.flowscope.alerts.receiver import webhook_receiver

NO_RULES = {"ALERT_RULES": []}


@pytest.fixture
def committed():
    """Every batch the store commits during the test, instead of the process's evaluator."""
    batches = []
    remove_sink(evaluate_committed)
    add_sink(batches.append)
    yield batches
    remove_sink(batches.append)
    add_sink(evaluate_committed)


def record(traces, source="test:1"):
    """Write ``traces`` as a writer of ``source`` does, and close its rollup windows."""
    pipeline = StorePipeline(source, Losses(), process_metrics=False)
    pipeline.handle(list(traces))
    pipeline.finish()


@pytest.fixture
def alert_settings(settings):
    def configure(**values):
        settings.FLOWSCOPE = {**settings.FLOWSCOPE, **values}

    return configure


@pytest.fixture
def webhook():
    """A real HTTP server on 127.0.0.1 receiving webhooks."""
    with webhook_receiver() as server:
        yield server
