"""The chatty workflow rule."""

import pytest

from tests.flowscope.analysis.recommendations.helpers import (
    found,
    store,
    workflows,
)

pytestmark = pytest.mark.django_db


def test_chatty_workflows_by_average_requests():
    store(workflows("browse", 3, 21))  # info
    store(workflows("binge", 3, 51))  # warning
    store(workflows("checkout", 3, 20))  # at the limit
    store(workflows("rare", 2, 60))  # too few workflows
    chatty = {r["evidence"]["workflow_type"]: r for r in found("chatty_workflow")}
    assert {kind: r["severity"] for kind, r in chatty.items()} == {
        "browse": "info",
        "binge": "warning",
    }
    evidence = chatty["browse"]["evidence"]
    assert (evidence["workflows"], evidence["avg_requests"], evidence["max_requests"]) == (
        3,
        21,
        21,
    )
    assert sorted(evidence["examples"]) == ["browse-0", "browse-1", "browse-2"]
