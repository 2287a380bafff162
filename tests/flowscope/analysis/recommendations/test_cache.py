"""The low cache hit ratio rule."""

import pytest

from tests.flowscope.analysis.recommendations.helpers import (
    found,
    lookup,
    lookups,
    only,
    request,
    store,
)
from tests.flowscope.factories import make_span

pytestmark = pytest.mark.django_db


def test_cache_hit_ratio_levels_at_their_edges():
    store(lookups(4, 16, alias="at-critical"))  # 0.2: not under the critical 0.2
    store(lookups(3, 17, alias="under-critical"))  # 0.15
    store(lookups(10, 10, alias="at-warning"))  # 0.5: fine
    severities = {r["evidence"]["alias"]: r["severity"] for r in found("low_cache_hit_ratio")}
    assert severities == {"at-critical": "warning", "under-critical": "critical"}


def test_cache_ratio_counts_get_many_and_ignores_writes():
    many = make_span("cache", "cache.get_many", alias="default", hits=2, misses=8)
    writes = [make_span("cache", "cache.set", alias="default") for _ in range(30)]
    store([request(spans=[many, *writes, *[lookup(False) for _ in range(10)]])])
    evidence = only("low_cache_hit_ratio")["evidence"]
    assert evidence == {
        "alias": "default",
        "lookups": 20,
        "hits": 2,
        "misses": 18,
        "hit_ratio": 0.1,
    }


def test_too_few_lookups_are_no_evidence():
    store(lookups(0, 19))
    assert found("low_cache_hit_ratio") == []
