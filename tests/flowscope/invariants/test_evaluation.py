"""Each kind of rule on a workflow's steps, as they are stored."""

from datetime import UTC, datetime, timedelta

from flowscope.invariants.evaluation import evaluate
from flowscope.invariants.rules import read_rule
from flowscope.models import TraceStep

START = datetime(2026, 1, 1, tzinfo=UTC)


class Steps(list):
    """A workflow's steps, in the order they started: ``add`` returns the step's span id."""

    def add(self, layer, name, parent="", status="ok", **metadata):
        span_id = f"s{len(self)}"
        started = START + timedelta(milliseconds=len(self))
        self.append(
            TraceStep(
                span_id=span_id,
                parent_span_id=parent,
                layer=layer,
                name=name,
                status=status,
                started_at=started,
                duration_ms=1.0,
                metadata=metadata,
            )
        )
        return span_id


def broken(entries, steps, status="completed"):
    rules = [read_rule("checkout", entry) for entry in entries]
    return {v.rule.name: v for v in evaluate(rules, status, steps)}


def checkout_steps(lines=2, stock_updates=2, charged="46.75", cart="46.75"):
    steps = Steps()
    steps.add("api", "POST /api/v1/cart/items/", status_code=201, query_count=9)
    steps.add("custom", "cart.price", cart_total=cart)
    api = steps.add("api", "POST /api/v1/orders/checkout/", status_code=201, query_count=12)
    order = steps.add("custom", "checkout.place_order", api, order_total="46.75", line_count=lines)
    steps.add("database", 'INSERT INTO "shop_order" ("user_id") VALUES (?)', order)
    steps.add("database", 'INSERT INTO "shop_orderitem" ("order_id") VALUES (?), ...', order)
    for _ in range(stock_updates):
        steps.add("database", 'UPDATE "shop_product" SET "stock" = (?) WHERE "id" = ?', order)
    steps.add("external", "payment_gateway.charge", order, amount=charged)
    return steps


ORDER_ROW = {
    "name": "one order row",
    "kind": "count",
    "steps": {"sql": "insert into shop_order *"},
    "equals": 1,
}
STOCK = {
    "name": "one stock update per line",
    "kind": "count",
    "steps": {"sql": "UPDATE shop_product SET stock *"},
    "equals": {"metadata": "line_count", "of": {"name": "checkout.place_order"}},
}
CHARGED = {
    "name": "charged the cart total",
    "kind": "value",
    "value": {"metadata": "amount", "of": {"layer": "external", "name": "payment_gateway.*"}},
    "equals": {"metadata": "cart_total", "of": {"name": "cart.price"}},
}


def test_a_correct_checkout_breaks_nothing():
    assert broken([ORDER_ROW, STOCK, CHARGED], checkout_steps()) == {}


def test_counts_compare_with_a_number_or_a_value_of_the_workflow():
    found = broken([ORDER_ROW, STOCK], checkout_steps(lines=2, stock_updates=3))
    assert list(found) == ["one stock update per line"]
    assert found["one stock update per line"].message == (
        "checkout invariant 'one stock update per line' broken: observed 3, expected equal "
        "to 2 (line_count of {name: 'checkout.place_order'})"
    )


def test_a_value_relation_is_numeric_and_names_both_sides():
    assert broken([CHARGED], checkout_steps(charged="46.75", cart="46.750")) == {}
    found = broken([CHARGED], checkout_steps(charged="50.00"))
    assert "observed 50.00, expected equal to 46.75" in found["charged the cart total"].message


def test_a_value_that_is_no_finite_number_is_compared_as_it_is():
    at_most = {**CHARGED, "name": "charged at most the cart", "at_most": CHARGED["equals"]}
    del at_most["equals"]
    for odd in ("NaN", "sNaN", "Infinity", float("nan")):
        found = broken([CHARGED, at_most], checkout_steps(charged=odd))
        assert list(found) == ["charged the cart total"], odd  # not equal; not ordered


def test_a_rule_whose_values_are_missing_does_not_apply():
    steps = checkout_steps()
    del steps[1]  # no cart was priced in this workflow
    assert broken([CHARGED], steps) == {}


def test_when_limits_a_rule_to_completed_or_failed_workflows():
    rule = {**ORDER_ROW, "when": "completed"}
    no_order = Steps()
    no_order.add("api", "POST /api/v1/orders/checkout/", status_code=402)
    assert broken([rule], no_order, status="failed") == {}
    assert list(broken([rule], no_order, status="completed")) == ["one order row"]


def test_no_5xx_names_the_first_request_that_answered_one():
    steps = Steps()
    steps.add("api", "GET /api/v1/products/", status_code=200)
    failed = steps.add("api", "GET /api/v1/shipping/estimate/", status_code=500)
    steps.add("frontend", "fetch", status_code=500)  # the browser's view of the same answer
    found = broken([{"name": "no 5xx", "kind": "no_server_errors"}], steps)["no 5xx"]
    assert found.step.span_id == failed
    assert "observed 1 5xx answer, expected none" in found.message
    assert "GET /api/v1/shipping/estimate/ answered 500" in found.message


def test_queries_per_request_reports_the_worst_request():
    steps = Steps()
    steps.add("api", "GET /a/", query_count=9)
    worst = steps.add("api", "GET /b/", query_count=14)
    steps.add("api", "GET /c/", query_count=3)
    rule = {"name": "few queries", "kind": "queries_per_request", "at_most": 8}
    found = broken([rule], steps)["few queries"]
    assert (found.step.span_id, found.observed) == (worst, "14 queries")
    assert "2 of the workflow's requests over" in found.message
    assert broken([{**rule, "at_most": 14}], steps) == {}


CACHE_RULE = {"name": "read-through", "kind": "cache_write_only_on_miss", "keys": "catalog:*"}


def cache_call(steps, parent, operation, key, **outcome):
    return steps.add("cache", f"cache.{operation}", parent, operation=operation, key=key, **outcome)


def test_a_cache_write_after_a_miss_is_fine_after_a_hit_it_is_not():
    steps = Steps()
    first = steps.add("api", "GET /api/v1/products/5/")
    cache_call(steps, first, "get", "catalog:product:5", hit=False)
    cache_call(steps, first, "set", "catalog:product:5")
    assert broken([CACHE_RULE], steps) == {}

    second = steps.add("api", "GET /api/v1/products/5/")
    view = steps.add("custom", "render", second)  # nested: still the same request
    cache_call(steps, view, "get", "catalog:product:5", hit=True)
    written = cache_call(steps, view, "set", "catalog:product:5")
    cache_call(steps, view, "set", "sessions:1")  # not a key the rule watches
    found = broken([CACHE_RULE], steps)["read-through"]
    assert found.step.span_id == written
    assert "1 write after a hit" in found.message and "'catalog:product:5'" in found.message


def test_a_hit_in_one_request_does_not_forbid_a_write_in_another():
    steps = Steps()
    reading = steps.add("api", "GET /api/v1/products/5/")
    cache_call(steps, reading, "get", "catalog:product:5", hit=True)
    writing = steps.add("api", "POST /api/v1/orders/checkout/")
    cache_call(steps, writing, "set", "catalog:product:5")
    assert broken([CACHE_RULE], steps) == {}


def test_a_value_rule_may_compare_a_count_with_a_number_on_either_side():
    gateway = {"count": {"layer": "external"}}
    at_least_once = {"name": "charged", "kind": "value", "value": gateway, "at_least": 1}
    nothing_charged = {"name": "free", "kind": "value", "value": 0, "equals": gateway}
    found = broken([at_least_once, nothing_charged], checkout_steps())
    assert list(found) == ["free"]
    assert "observed 0, expected equal to 1 (steps matching {layer: 'external'})" in (
        found["free"].message
    )
