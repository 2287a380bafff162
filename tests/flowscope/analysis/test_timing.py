"""Where a workflow's time went, from its steps: built in memory, as the store returns them."""

from flowscope.analysis import timing
from tests.flowscope.factories import make_step as step


def checkout_steps():
    """A login, then a checkout whose queries ran one after another and whose payment
    finished last; both requests hang under browser fetches that are not stored."""
    return [
        step("login", "api", 0, 40, parent="fetch-1", name="POST /login/"),
        step("user", "database", 5, 10, parent="login", sql="SELECT user"),
        step("pay", "api", 100, 200, parent="fetch-2", name="POST /checkout/"),
        step("cart", "database", 110, 20, parent="pay", sql="SELECT cart"),
        step("gateway", "external", 140, 150, parent="pay", name="charge"),
        step("stock", "database", 135, 5, parent="pay", sql="UPDATE stock"),
        step("token", "cache", 150, 1, parent="gateway", hit=False),
    ]


def names(nodes):
    return [(node["name"], names(node["children"])) for node in nodes]


def test_the_tree_nests_children_in_start_order_under_the_requests():
    tree = timing.step_tree(checkout_steps(), lambda s: {"name": s.name})
    assert names(tree) == [
        ("POST /login/", [("user", [])]),
        (
            "POST /checkout/",
            [("cart", []), ("stock", []), ("charge", [("token", [])])],
        ),
    ]
    assert [node["offset_ms"] for node in tree] == [0.0, 100.0]
    assert tree[1]["children"][2]["children"][0]["offset_ms"] == 150.0


def test_a_very_deep_tree_is_built_whole():
    chain = [step("s0", "api", 0, 1)]
    chain += [step(f"s{i}", "database", i, 1, parent=f"s{i - 1}") for i in range(1, 5000)]
    node, depth = timing.step_tree(chain, lambda s: {})[0], 1
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    assert depth == 5000


def test_an_empty_workflow_has_an_empty_tree():
    assert timing.step_tree([], lambda s: {}) == []


def test_self_time_leaves_out_what_the_children_took():
    layers = timing.time_per_layer(checkout_steps())
    assert layers["api"] == {"count": 2, "total_ms": 240.0, "self_ms": 30.0 + 25.0}
    assert layers["database"] == {"count": 3, "total_ms": 35.0, "self_ms": 35.0}
    assert layers["external"] == {"count": 1, "total_ms": 150.0, "self_ms": 149.0}
    assert layers["cache"]["self_ms"] == 1.0


def test_children_that_ran_in_parallel_never_make_self_time_negative():
    steps = [
        step("req", "api", 0, 50),
        step("a", "external", 1, 45, parent="req"),
        step("b", "external", 1, 45, parent="req"),
    ]
    assert timing.time_per_layer(steps)["api"]["self_ms"] == 0.0


def test_the_critical_path_follows_every_request_and_its_last_finishing_child():
    assert timing.critical_path(checkout_steps()) == ["login", "user", "pay", "gateway", "token"]


def test_queries_are_grouped_by_sql_with_n_plus_one_flagged():
    steps = [
        step("req", "api", 0, 100),
        *(
            step(f"q{i}", "database", i, 2, parent="req", sql="SELECT item", repeated=i > 1)
            for i in range(1, 5)
        ),
        step("one", "database", 10, 30, parent="req", sql="SELECT big", call_site="views.py:3"),
        step("raw", "database", 50, 1, parent="req", name="SELECT raw"),
    ]
    groups = timing.queries(steps)
    assert [(g["sql"], g["count"], g["total_ms"]) for g in groups] == [
        ("SELECT big", 1, 30.0),
        ("SELECT item", 4, 8.0),
        ("SELECT raw", 1, 1.0),  # no normalized SQL: the step's name stands for it
    ]
    assert [(g["repeated"], g["n_plus_one"]) for g in groups] == [
        (False, False),
        (True, True),
        (False, False),
    ]
    assert groups[0]["call_site"] == "views.py:3"
    assert timing.analyze(steps)["n_plus_one"] == [groups[1]]


def test_the_cache_summary_counts_single_and_multi_key_lookups():
    steps = [
        step("a", "cache", 0, 1, hit=True),
        step("b", "cache", 1, 1, hit=False),
        step("many", "cache", 2, 1, hits=5, misses=2),
        step("set", "cache", 3, 1, name="cache.set"),
        step("db", "database", 4, 1, hit=True),  # not a cache step
    ]
    assert timing.cache_summary(steps) == {"hits": 6, "misses": 3, "hit_ratio": 6 / 9}


def test_without_cache_lookups_the_hit_ratio_is_unknown():
    summary = timing.cache_summary([step("set", "cache", 0, 1, name="cache.set")])
    assert summary == {"hits": 0, "misses": 0, "hit_ratio": None}


def test_the_slowest_steps_are_the_work_under_the_requests():
    analysis = timing.analyze(checkout_steps())
    assert analysis["slowest_steps"] == ["gateway", "cart", "user", "stock", "token"]
    only_requests = [step("a", "api", 0, 5), step("b", "api", 10, 9)]
    assert timing.analyze(only_requests)["slowest_steps"] == ["b", "a"]
