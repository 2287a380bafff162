"""A synthetic, realistic flowscope dataset in PostgreSQL, for ``dashboard_latency.py``.

Rows look like what the capture writes for the example shop (``capture/request_trace.py``,
``database.py``, ``cache.py``, the browser SDK and the payment step): API steps named by
route with scrubbed headers, bodies and ``query_count``; database steps with normalized SQL
and a call site, N+1 repeats flagged; cache steps with hit/miss; frontend fetch steps
parenting the API steps, vitals; the payment gateway's external step; errors as the
capture records them (HTTP 4xx on final steps, 5xx, exceptions with frames, browser
errors, log warnings) with fingerprints; workflows with counters and statuses as the
writer leaves them (completed, failed, timed out, in progress only in the last 30 min).

Workflows start uniformly over ``days`` ending at load time, so a window of ``w`` hours
holds ``w / (24 * days)`` of the data whatever the time of day. Generated in Python from
a fixed seed and streamed with ``COPY``; the rollups (``PerformanceSnapshot`` per minute,
as the recorder's ``RollupBuffer`` would write them from one process) are computed from the
loaded steps in SQL. Non-key indexes and constraints are dropped during the load and
rebuilt from their own definitions afterwards, in the same transaction.

    .venv/bin/python bench/dashboard_data.py --database-url postgres://...  # load only
"""

import argparse
import hashlib
import json
import math
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

TABLES = (
    "flowscope_workflowsession",
    "flowscope_tracestep",
    "flowscope_errorlog",
    "flowscope_performancesnapshot",
)
STAFF_USERNAME = "bench-staff"
# A DRF token is 40 characters; this one is fixed so that a reused database still works.
STAFF_TOKEN = hashlib.sha1(b"flowscope-dashboard-bench").hexdigest()
CUSTOMERS = 200
IN_PROGRESS_SECONDS = 1800  # WORKFLOW_TIMEOUT_SECONDS: older idle workflows are timed out
HOSTNAME = "web-1"
FORBIDDEN_DATABASES = {"test", "test_test", "postgres", "template0", "template1"}
NULL = "\\N"  # COPY's text format
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


# --- what the shop's requests run -----------------------------------------------------


USER = (
    '"auth_user"."id", "auth_user"."password", "auth_user"."last_login", '
    '"auth_user"."is_superuser", "auth_user"."username", "auth_user"."first_name", '
    '"auth_user"."last_name", "auth_user"."email", "auth_user"."is_staff", '
    '"auth_user"."is_active", "auth_user"."date_joined"'
)
PRODUCT = (
    '"shop_product"."id", "shop_product"."category_id", "shop_product"."name", '
    '"shop_product"."slug", "shop_product"."description", "shop_product"."price", '
    '"shop_product"."stock", "shop_product"."created_at"'
)
CATEGORY = '"shop_category"."id", "shop_category"."name", "shop_category"."slug"'
CART_ITEM = (
    '"shop_cartitem"."id", "shop_cartitem"."cart_id", "shop_cartitem"."product_id", '
    '"shop_cartitem"."quantity"'
)
SEARCH = (
    '("shop_product"."name"::text LIKE UPPER(?) OR '
    'UPPER("shop_product"."description"::text) LIKE UPPER(?))'
)
JOIN_CATEGORY = (
    'INNER JOIN "shop_category" ON ("shop_product"."category_id" = "shop_category"."id")'
)


@dataclass(frozen=True)
class Query:
    """A normalized statement, how long it usually takes and where the shop runs it."""

    sql: str
    median_ms: float
    sigma: float
    site: tuple  # (file, line, function)
    slow_share: float = 0.0  # share of runs that take 50-400 times longer (locks, cold cache)

    def metadata(self, repeated=False):
        file, line, function = self.site
        data = {
            "vendor": "postgresql",
            "alias": "default",
            "sql": self.sql,
            "operation": self.sql.split(None, 1)[0].upper(),
            "many": False,
            "call_site": {
                "file": f"/srv/shop/example/shop/{file}",
                "line": line,
                "function": function,
            },
        }
        if repeated:
            data["repeated"] = True
        return data


Q = {
    "token": Query(
        'SELECT "authtoken_token"."key", "authtoken_token"."user_id", '
        f'"authtoken_token"."created", {USER} FROM "authtoken_token" INNER JOIN "auth_user" '
        'ON ("authtoken_token"."user_id" = "auth_user"."id") '
        'WHERE "authtoken_token"."key" = ? LIMIT ?',
        0.25,
        0.4,
        ("views/cart.py", 31, "get"),
    ),
    "user_by_name": Query(
        f'SELECT {USER} FROM "auth_user" WHERE "auth_user"."username" = ? LIMIT ?',
        0.3,
        0.4,
        ("views/auth.py", 32, "post"),
    ),
    "token_by_user": Query(
        'SELECT "authtoken_token"."key", "authtoken_token"."user_id", '
        '"authtoken_token"."created" FROM "authtoken_token" '
        'WHERE "authtoken_token"."user_id" = ? LIMIT ?',
        0.22,
        0.4,
        ("views/auth.py", 35, "post"),
    ),
    "insert_token": Query(
        'INSERT INTO "authtoken_token" ("key", "user_id", "created") VALUES (?, ?, ?)',
        0.9,
        0.5,
        ("views/auth.py", 35, "post"),
    ),
    "count": Query(
        'SELECT COUNT(*) AS "__count" FROM "shop_product"',
        0.35,
        0.4,
        ("views/products.py", 29, "<lambda>"),
    ),
    "list": Query(
        f'SELECT {PRODUCT}, {CATEGORY} FROM "shop_product" {JOIN_CATEGORY} '
        'ORDER BY "shop_product"."id" ASC LIMIT ?',
        0.8,
        0.5,
        ("views/products.py", 31, "list"),
    ),
    "search_count": Query(
        f'SELECT COUNT(*) AS "__count" FROM "shop_product" WHERE {SEARCH}',
        1.6,
        0.6,
        ("views/products.py", 29, "<lambda>"),
        slow_share=0.004,
    ),
    "search_list": Query(
        f'SELECT {PRODUCT}, {CATEGORY} FROM "shop_product" {JOIN_CATEGORY} WHERE {SEARCH} '
        'ORDER BY "shop_product"."id" ASC LIMIT ?',
        2.1,
        0.6,
        ("views/products.py", 31, "list"),
        slow_share=0.004,
    ),
    "detail": Query(
        f'SELECT {PRODUCT}, {CATEGORY} FROM "shop_product" {JOIN_CATEGORY} '
        'WHERE "shop_product"."id" = ? LIMIT ?',
        0.3,
        0.4,
        ("catalog.py", 41, "product"),
    ),
    "related_self": Query(
        f'SELECT {PRODUCT} FROM "shop_product" WHERE "shop_product"."id" = ? '
        'ORDER BY "shop_product"."id" ASC LIMIT ?',
        0.25,
        0.4,
        ("views/products.py", 56, "get"),
    ),
    "related_list": Query(
        f'SELECT {PRODUCT} FROM "shop_product" WHERE ("shop_product"."category_id" = ? AND '
        'NOT ("shop_product"."id" = ?)) ORDER BY "shop_product"."id" ASC LIMIT ?',
        0.4,
        0.4,
        ("views/products.py", 60, "get"),
    ),
    "category": Query(
        f'SELECT {CATEGORY} FROM "shop_category" WHERE "shop_category"."id" = ? LIMIT ?',
        0.15,
        0.4,
        ("views/products.py", 67, "<listcomp>"),
    ),
    "exists": Query(
        'SELECT ? AS "a" FROM "shop_product" WHERE "shop_product"."id" = ? LIMIT ?',
        0.15,
        0.4,
        ("serializers.py", 55, "validate_product_id"),
    ),
    "cart": Query(
        'SELECT "shop_cart"."id", "shop_cart"."user_id", "shop_cart"."updated_at" '
        'FROM "shop_cart" WHERE "shop_cart"."user_id" = ? LIMIT ?',
        0.2,
        0.4,
        ("cart.py", 10, "cart_for"),
    ),
    "product": Query(
        f'SELECT {PRODUCT} FROM "shop_product" WHERE "shop_product"."id" = ? LIMIT ?',
        0.2,
        0.4,
        ("cart.py", 22, "add_item"),
    ),
    "cart_item": Query(
        f'SELECT {CART_ITEM} FROM "shop_cartitem" WHERE ("shop_cartitem"."cart_id" = ? AND '
        '"shop_cartitem"."product_id" = ?) ORDER BY "shop_cartitem"."id" ASC LIMIT ?',
        0.2,
        0.4,
        ("cart.py", 24, "add_item"),
    ),
    "insert_cart_item": Query(
        'INSERT INTO "shop_cartitem" ("cart_id", "product_id", "quantity") VALUES (?, ?, ?) '
        'RETURNING "shop_cartitem"."id"',
        0.8,
        0.5,
        ("cart.py", 28, "add_item"),
    ),
    "update_cart_item": Query(
        'UPDATE "shop_cartitem" SET "cart_id" = ?, "product_id" = ?, "quantity" = ? '
        'WHERE "shop_cartitem"."id" = ?',
        0.7,
        0.5,
        ("cart.py", 31, "add_item"),
    ),
    "cart_lines": Query(
        f'SELECT {CART_ITEM}, {PRODUCT}, {CATEGORY} FROM "shop_cartitem" INNER JOIN '
        '"shop_product" ON ("shop_cartitem"."product_id" = "shop_product"."id") '
        f'{JOIN_CATEGORY} WHERE "shop_cartitem"."cart_id" = ? ORDER BY "shop_cartitem"."id" ASC',
        0.5,
        0.5,
        ("serializers.py", 88, "to_representation"),
    ),
    "cart_for_update": Query(
        'SELECT "shop_cart"."id", "shop_cart"."user_id", "shop_cart"."updated_at" FROM '
        '"shop_cart" WHERE "shop_cart"."user_id" = ? ORDER BY "shop_cart"."id" ASC LIMIT ? '
        "FOR UPDATE",
        0.4,
        0.6,
        ("checkout.py", 20, "checkout"),
        slow_share=0.01,
    ),
    "checkout_items": Query(
        f'SELECT {CART_ITEM} FROM "shop_cartitem" WHERE "shop_cartitem"."cart_id" = ? '
        'ORDER BY "shop_cartitem"."id" ASC',
        0.25,
        0.4,
        ("checkout.py", 21, "checkout"),
    ),
    "lock_products": Query(
        f'SELECT {PRODUCT} FROM "shop_product" WHERE "shop_product"."id" IN (...) '
        'ORDER BY "shop_product"."id" ASC FOR UPDATE',
        0.5,
        0.7,
        ("checkout.py", 23, "checkout"),
        slow_share=0.02,
    ),
    "insert_order": Query(
        'INSERT INTO "shop_order" ("user_id", "status", "shipping_address", "total", '
        '"card_last4", "payment_reference", "created_at") VALUES (?, ?, ?, ?, ?, ?, ?) '
        'RETURNING "shop_order"."id"',
        0.9,
        0.5,
        ("checkout.py", 28, "checkout"),
    ),
    "insert_order_item": Query(
        'INSERT INTO "shop_orderitem" ("order_id", "product_id", "quantity", "unit_price") '
        'VALUES (?, ?, ?, ?) RETURNING "shop_orderitem"."id"',
        0.7,
        0.5,
        ("checkout.py", 35, "checkout"),
    ),
    "update_stock": Query(
        'UPDATE "shop_product" SET "stock" = ("shop_product"."stock" - ?) '
        'WHERE "shop_product"."id" = ?',
        0.6,
        0.5,
        ("checkout.py", 45, "checkout"),
    ),
    "clear_cart": Query(
        'DELETE FROM "shop_cartitem" WHERE "shop_cartitem"."cart_id" = ?',
        0.5,
        0.5,
        ("checkout.py", 46, "checkout"),
    ),
    "pay_order": Query(
        'UPDATE "shop_order" SET "payment_reference" = ? WHERE "shop_order"."id" = ?',
        0.6,
        0.5,
        ("checkout.py", 49, "checkout"),
    ),
    "order_items": Query(
        'SELECT "shop_orderitem"."id", "shop_orderitem"."order_id", '
        '"shop_orderitem"."product_id", "shop_orderitem"."quantity", '
        '"shop_orderitem"."unit_price" FROM "shop_orderitem" '
        'WHERE "shop_orderitem"."order_id" = ? ORDER BY "shop_orderitem"."id" ASC',
        0.3,
        0.4,
        ("views/orders.py", 23, "post"),
    ),
    "best_sellers": Query(
        f'SELECT {PRODUCT}, SUM("shop_orderitem"."quantity") AS "sold" FROM "shop_product" '
        'LEFT OUTER JOIN "shop_orderitem" ON ("shop_product"."id" = '
        '"shop_orderitem"."product_id") GROUP BY "shop_product"."id", 12 ORDER BY 9 DESC '
        "LIMIT ?",
        45.0,
        0.7,
        ("views/recommendations.py", 24, "get"),
        slow_share=0.03,
    ),
    "shipping_cart": Query(
        'SELECT "shop_cart"."id", "shop_cart"."user_id", "shop_cart"."updated_at" '
        'FROM "shop_cart" WHERE "shop_cart"."user_id" = ? LIMIT ?',
        0.2,
        0.4,
        ("views/shipping.py", 30, "get"),
    ),
}

SEARCH_TERMS = ["Classic", "Lamp", "Tent", "Kettle", "Puzzle", "Pro", "Compact", "Novel"]
COUNTRIES = ["US", "GB", "DE", "FR", "US", "GB", "ES", "IT", "NL", "SE", "JP", "BR"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "flowscope-simulator/1",
    "okhttp/4.12.0",
]
BROWSER_ERRORS = [  # (type, message, function), as the storefront's SDK sends them
    ("TypeError", "Cannot read properties of undefined (reading 'price')", "renderCart"),
    ("TypeError", "Cannot read properties of null (reading 'id')", "renderProduct"),
    ("TypeError", "x is undefined", "renderProduct"),
    ("TypeError", "products.map is not a function", "renderList"),
    ("ReferenceError", "dataLayer is not defined", "track"),
    ("NetworkError", "NetworkError when attempting to fetch resource.", "call"),
    ("TypeError", "Failed to fetch", "call"),
    ("SyntaxError", "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON", "call"),
    ("OutOfStockError", "Nothing left in stock to buy.", "fillCart"),
    ("RangeError", "Invalid time value", "formatDate"),
    ("Error", "ResizeObserver loop completed with undelivered notifications.", "observe"),
    ("AbortError", "The user aborted a request.", "call"),
]
PAGES = ["storefront.js", "cart.js", "checkout.js", "product.js", "search.js"]
VITALS = [("LCP", 1400.0, 0.5), ("FCP", 700.0, 0.45), ("TTFB", 120.0, 0.6), ("INP", 90.0, 0.7)]


# --- the generator -----------------------------------------------------------------------


def ts(epoch):
    return datetime.fromtimestamp(epoch, UTC).isoformat(sep=" ")


def copy_text(value):
    """A value in COPY's text format: backslash, newline, carriage return and tab escaped."""
    return value.translate(COPY_ESCAPES)


def json_field(value):
    return copy_text(json.dumps(value))


_NUMBERS = re.compile(r"\d+(?:\.\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def fingerprint(error_type, message, frames):
    """Same shape as flowscope's: type, message without values, in-app frames."""
    message = _NUMBERS.sub("<n>", _QUOTED.sub("<str>", message))[:500]
    in_app = [f"{f['file']}:{f['function']}" for f in frames if f.get("in_app")]
    return hashlib.sha256("\n".join([error_type, message, *in_app]).encode()).hexdigest()[:32]


@dataclass
class Workflow:
    id: int
    correlation_id: str
    kind: str
    started: float
    browser: bool
    user_id: int | None = None
    token: bool = False  # has logged in: requests carry a token
    requests: int = 0
    steps: int = 0
    errors: int = 0
    failed: bool = False
    completed: bool = False
    last: float = 0.0
    ended: float | None = None
    metadata: dict = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    size: int
    error: tuple | None = None  # (error_type, message, severity, frames)
    n_plus_one: list | None = None
    body: dict | None = None
    response_body: dict | None = None
    warnings: list = field(default_factory=list)  # log records at WARNING: errors too


def failure(status, reason, detail, code, body):
    """An error answer as the capture records it: ``HTTP <status>``, the JSON detail."""
    error = (f"HTTP {status}", f"{status} {reason}: {detail}", "error", [])
    response = {"detail": detail, "code": code}
    return Answer(status, 60 + len(detail), error=error, body=body, response_body=response)


class Generator:
    """Renders workflows into COPY lines; steps are streamed, the rest kept for later."""

    def __init__(self, seed, start, end, user_ids, write_steps):
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        self.user_ids = user_ids
        self.write_steps = write_steps  # callable(list of lines)
        self.lines = []
        self.step_id = 0
        self.workflows = []
        self.errors = []
        self.browser_workflows = []
        self.query_meta = {
            (name, repeated): json_field(query.metadata(repeated))
            for name, query in Q.items()
            for repeated in (False, True)
        }
        self.counts = {"steps": 0, "errors": 0}
        self.resolved = set()

    # -- primitives

    def span_id(self):
        return f"{self.rng.getrandbits(64):016x}"

    def lognormal(self, median, sigma):
        return median * math.exp(self.rng.gauss(0.0, sigma))

    def emit(self, step_id, wf, span, parent, layer, name, status, started, duration, meta):
        self.lines.append(
            f"{step_id}\t{span}\t{parent}\t{layer}\t{copy_text(name)}\t{status}\t{ts(started)}"
            f"\t{round(duration, 3)}\t{meta}\t{wf.id}\n"
        )
        wf.steps += 1
        self.counts["steps"] += 1
        if len(self.lines) >= 20000:
            self.flush()

    def flush(self):
        if self.lines:
            self.write_steps(self.lines)
            self.lines = []

    def next_id(self):
        self.step_id += 1
        return self.step_id

    # -- children of an API step: each returns the time it ended

    def query(self, ctx, name, repeated=False):
        query = Q[name]
        duration = self.lognormal(query.median_ms, query.sigma)
        if query.slow_share and self.rng.random() < query.slow_share:
            duration *= self.rng.uniform(50, 400)
        start = ctx["cursor"] + 0.00005
        meta = self.query_meta[name, repeated]
        self.emit(
            self.next_id(), ctx["wf"], self.span_id(), ctx["span"], "database",
            query.sql[:500], "ok", start, duration, meta,
        )  # fmt: skip
        ctx["cursor"] = start + duration / 1000
        ctx["queries"] += 1
        return query.sql

    def cache(self, ctx, operation, key=None, hit=None, keys=None):
        meta = {"alias": "default", "operation": operation}
        if keys is not None:
            meta.update(keys=keys, key_count=len(keys))
        elif key is not None:
            meta["key"] = key
        if hit is not None:
            meta["hit"] = hit
        duration = self.lognormal(0.12, 0.5)
        start = ctx["cursor"] + 0.00003
        self.emit(
            self.next_id(), ctx["wf"], self.span_id(), ctx["span"], "cache",
            f"cache.{operation}", "ok", start, duration, json_field(meta),
        )  # fmt: skip
        ctx["cursor"] = start + duration / 1000

    def external(self, ctx, failed):
        duration = self.lognormal(120.0, 0.35)
        if failed:
            duration = self.rng.uniform(2000, 5000) if self.rng.random() < 0.5 else duration
        start = ctx["cursor"] + 0.0001
        meta = json_field({"error": "PaymentGatewayUnavailable: no answer"} if failed else {})
        self.emit(
            self.next_id(), ctx["wf"], self.span_id(), ctx["span"], "external",
            "payment_gateway.charge", "error" if failed else "ok", start, duration, meta,
        )  # fmt: skip
        ctx["cursor"] = start + duration / 1000

    # -- the shop's routes: each runs its children and returns an Answer

    def auth(self, ctx):
        if ctx["wf"].token:
            self.query(ctx, "token")

    def products(self, ctx, search):
        self.cache(ctx, "get_or_set", key="catalog:version")
        key = f"catalog:list:v17956830{self.rng.randrange(10**10):010d}:{self.span_id()}"
        hit = self.rng.random() < 0.55
        self.cache(ctx, "get", key=key, hit=hit)
        answer = Answer(200, self.rng.randint(2500, 9000))
        if not hit:
            self.query(ctx, "search_count" if search else "count")
            self.query(ctx, "search_list" if search else "list")
            self.cache(ctx, "set", key=key)
            if self.rng.random() < 0.1:
                message = f"Catalog page rebuilt in {self.rng.randint(40, 900)} ms (cache miss)"
                answer.warnings.append(("log:shop.catalog", message, "warning", []))
        return answer

    def product(self, ctx, product_id):
        key = f"catalog:product:{product_id}"
        hit = self.rng.random() < 0.6
        self.cache(ctx, "get", key=key, hit=hit)
        if not hit:
            self.query(ctx, "detail")
            self.cache(ctx, "set", key=key)
        if self.rng.random() < 0.004:
            return Answer(404, 60, body=None)
        return Answer(200, self.rng.randint(180, 420))

    def related(self, ctx, product_id):
        self.query(ctx, "related_self")
        self.query(ctx, "related_list")
        repeats = self.rng.randint(8, 12)
        for _ in range(repeats):
            sql = self.query(ctx, "category", repeated=True)
        site = Q["category"].metadata()["call_site"]
        return Answer(
            200, 150 + 80 * repeats, n_plus_one=[{"sql": sql, "count": repeats, "call_site": site}]
        )

    def login(self, ctx):
        self.query(ctx, "user_by_name")
        wf = ctx["wf"]
        body = {"username": f"customer{wf.user_id}", "password": "[Filtered]"}
        if self.rng.random() < 0.15:
            detail = "Invalid username or password."
            return failure(401, "Unauthorized", detail, "invalid_credentials", body)
        self.query(ctx, "token_by_user")
        if self.rng.random() < 0.3:
            self.query(ctx, "insert_token")
        wf.token = True
        return Answer(200, 130, body=body)

    def add_to_cart(self, ctx, product_id):
        self.auth(ctx)
        self.query(ctx, "exists")
        if self.rng.random() < 0.03:
            return Answer(400, 120, body={"product_id": product_id, "quantity": 0})
        self.query(ctx, "cart")
        self.query(ctx, "product")
        self.query(ctx, "cart_item")
        self.query(ctx, "insert_cart_item" if self.rng.random() < 0.8 else "update_cart_item")
        if self.rng.random() < 0.02:  # two tabs adding the same product at once
            frames = [
                {"file": "/srv/shop/example/shop/cart.py", "line": 28, "function": "add_item",
                 "in_app": True, "code": "return cart.items.create(product=product, quantity=q)"},
            ]  # fmt: skip
            message = (
                'duplicate key value violates unique constraint "shop_cartitem_cart_product"\n'
                f"DETAIL:  Key (cart_id, product_id)=({self.rng.randint(1, 900)}, {product_id}) "
                "already exists."
            )
            return Answer(500, 145, error=("IntegrityError", message, "error", frames))
        return Answer(
            201, self.rng.randint(250, 400), body={"product_id": product_id, "quantity": 1}
        )

    def view_cart(self, ctx):
        self.auth(ctx)
        self.query(ctx, "cart")
        self.query(ctx, "cart_lines")
        return Answer(200, self.rng.randint(300, 1500))

    def checkout(self, ctx):
        self.auth(ctx)
        self.query(ctx, "cart_for_update")
        self.query(ctx, "checkout_items")
        self.query(ctx, "lock_products")
        body = {
            "shipping_address": "12 Simulated Street, Testville",
            "payment": {"card_number": "[Filtered]", "expiry": "12/39", "cvv": "[Filtered]"},
        }
        roll = self.rng.random()
        if roll < 0.03:
            detail = "Not enough stock for: Compact Lamp 12."
            return failure(409, "Conflict", detail, "out_of_stock", body)
        self.query(ctx, "insert_order")
        lines = self.rng.choice((1, 1, 2, 3))
        for _ in range(lines):
            self.query(ctx, "insert_order_item")
            self.query(ctx, "update_stock")
        self.query(ctx, "clear_cart")
        gateway_down = roll > 0.985
        self.external(ctx, gateway_down)
        if gateway_down:
            detail = "The payment gateway did not answer; try again."
            return failure(502, "Bad Gateway", detail, "gateway_unavailable", body)
        if roll < 0.11:
            detail = "The card was declined by its issuer."
            return failure(402, "Payment Required", detail, "card_declined", body)
        self.query(ctx, "pay_order")
        self.cache(ctx, "delete_many", keys=[f"catalog:product:{self.rng.randint(1, 240)}"])
        self.cache(ctx, "set", key="catalog:version")
        self.query(ctx, "order_items")
        return Answer(201, self.rng.randint(280, 700), body=body)

    def shipping(self, ctx, country):
        self.auth(ctx)
        self.query(ctx, "shipping_cart")
        if country in ("US", "GB", "DE", "FR"):
            return Answer(200, 90)
        frames = [
            {"file": "/srv/shop/example/shop/views/shipping.py", "line": 34, "function": "get",
             "in_app": True, "code": "rate = RATES[country]"},
        ]  # fmt: skip
        return Answer(500, 145, error=("KeyError", f"'{country}'", "error", frames))

    def recommendations(self, ctx):
        self.query(ctx, "best_sellers")
        delay = self.lognormal(1.5, 0.05)  # the deliberate delay
        ctx["cursor"] += delay
        answer = Answer(200, self.rng.randint(450, 600))
        message = f"Recommendations took {delay * 1000:.0f} ms"
        answer.warnings.append(("log:shop.views.recommendations", message, "warning", []))
        return answer

    # -- one request: children, then its API step, its frontend step and its errors

    def request(self, wf, at, method, path, route, handler, complete=False):
        if at >= self.end:
            return None
        api_id, api_span = self.next_id(), self.span_id()
        fetch_span = self.span_id() if wf.browser else ""
        ctx = {"wf": wf, "span": api_span, "cursor": at + self.lognormal(0.0012, 0.3), "queries": 0}
        answer = handler(ctx)
        duration = (ctx["cursor"] - at) * 1000 + self.lognormal(1.5, 0.4)
        name = f"{method} {route}"
        final = complete and answer.status < 500
        failed = answer.status >= 500 or (answer.error is not None and final)
        meta = self.api_metadata(wf, method, path, route, answer, ctx["queries"], final, api_span)
        self.emit(
            api_id, wf, api_span, fetch_span, "api", name, "error" if failed else "ok",
            at, duration, json_field(meta),
        )  # fmt: skip
        wf.requests += 1
        end = at + duration / 1000
        if wf.browser:
            network = self.lognormal(12.0, 0.6)
            fetch = {"kind": "fetch", "method": method, "url": path, "status_code": answer.status}
            self.emit(
                self.next_id(), wf, fetch_span, "", "frontend", f"{method} {path.split('?')[0]}",
                "error" if answer.status >= 500 else "ok", at - network / 2000,
                duration + network, json_field(fetch),
            )  # fmt: skip
            end += network / 2000
        if answer.error is not None and (answer.status >= 500 or final):
            self.error(wf, api_id, "api", answer.error, at + duration / 1000, meta)
        for warning in answer.warnings:
            self.error(wf, api_id, "api", warning, at + duration / 2000, meta)
        if final and answer.status < 400:
            wf.completed = True
        wf.last = max(wf.last, end)
        return answer

    def api_metadata(self, wf, method, path, route, answer, queries, complete, span):
        headers = {
            "Host": "shop.example.com",
            "X-Correlation-Id": wf.correlation_id,
            "Traceparent": f"00-{wf.correlation_id}-{span}-01",
            "Accept": "application/json",
            "User-Agent": wf.metadata["user_agent"],
        }
        if wf.token:
            headers["Authorization"] = "[Filtered]"
        if complete:
            headers["X-Workflow-Complete"] = "true"
        meta = {
            "method": method,
            "path": path,
            "route": route,
            "status_code": answer.status,
            "query_count": queries,
            "query": {"search": path.split("=", 1)[1]} if "?search=" in path else {},
            "request_headers": headers,
            "response_size": answer.size,
            "content_type": "application/json",
        }
        if answer.body is not None:
            meta["request_body"] = answer.body
        if answer.response_body is not None:
            meta["response_body"] = answer.response_body
        if answer.n_plus_one:
            meta["n_plus_one"] = answer.n_plus_one
        return meta

    def error(self, wf, step_id, layer, error, at, meta):
        error_type, message, severity, frames = error
        context = {k: meta.get(k) for k in ("method", "path", "route", "status_code", "query")}
        fp = fingerprint(error_type, message, frames)
        resolved = fp in self.resolved and at < self.end - 2 * 86400
        self.errors.append(  # recorded_at (newer schemas) is appended when copied
            (
                f"{wf.id}\t{step_id or NULL}\t{layer}\t{copy_text(error_type)}"
                f"\t{copy_text(message)}\t{json_field(frames)}\t{severity}\t{fp}"
                f"\t{'t' if resolved else 'f'}\t{ts(at)}\t{json_field(context)}",
                ts(at + 0.2),  # stored by the writer a moment after it happened
            )
        )
        wf.errors += 1
        self.counts["errors"] += 1
        if severity in ("error", "critical"):
            wf.failed = True

    def browser_error(self, wf, at):
        error_type, message, function = self.rng.choice(BROWSER_ERRORS)
        page = self.rng.choice(PAGES)
        frames = [
            {"file": f"https://shop.example.com/static/shop/{page}", "line": line,
             "function": fn, "in_app": True, "code": ""}
            for line, fn in ((88, "call"), (212, function))
        ]  # fmt: skip
        severity = "warning" if error_type == "Error" else "error"
        self.error(wf, None, "frontend", (error_type, message, severity, frames), at,
                   {"path": "/shop/", "route": None})  # fmt: skip

    def vital(self, wf, at):
        if at >= self.end:
            return
        name, median, sigma = self.rng.choice(VITALS)
        value = self.lognormal(median, sigma)
        self.emit(
            self.next_id(), wf, self.span_id(), "", "frontend", f"vital.{name}", "ok", at, value,
            json_field({"vital": name, "value": round(value, 3)}),
        )  # fmt: skip

    # -- workflows

    def think(self):
        return self.rng.expovariate(1 / 4.0) + 0.3

    def workflow(self, number, started):
        rng = self.rng
        kind = rng.choices(
            ("product_fetch", "login", "cart_update", "checkout", "unknown"),
            weights=(44, 22, 15, 10, 9),
        )[0]
        wf = Workflow(
            id=number, correlation_id=f"{rng.getrandbits(128):032x}", kind=kind,
            started=started, browser=rng.random() < 0.5, last=started,
        )  # fmt: skip
        wf.metadata = {
            "client_ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "user_agent": rng.choice(USER_AGENTS),
        }
        if kind in ("cart_update", "checkout", "login") or rng.random() < 0.2:
            wf.user_id = rng.choice(self.user_ids)
        if kind in ("cart_update", "checkout"):
            wf.token = True  # logged in by an earlier workflow
        if wf.browser:
            self.browser_workflows.append(wf)
            self.vital(wf, started + rng.uniform(0.2, 2.0))
        getattr(self, f"run_{kind}")(wf, started)
        if wf.browser and rng.random() < 0.12 and wf.last < self.end:
            self.browser_error(wf, wf.last + 0.01)
        self.finish(wf)
        return wf

    def run_login(self, wf, at):
        self.request(wf, at, "POST", "/api/v1/auth/login/", "/api/v1/auth/login/", self.login,
                     complete=True)  # fmt: skip

    def run_product_fetch(self, wf, at):
        search = self.rng.random() < 0.5
        path = f"/api/v1/products/?search={self.rng.choice(SEARCH_TERMS)}" if search else (
            "/api/v1/products/")  # fmt: skip
        self.request(wf, at, "GET", path, "/api/v1/products/",
                     lambda ctx: self.products(ctx, search))  # fmt: skip
        for _ in range(self.rng.choice((1, 1, 1, 2))):
            at = wf.last + self.think()
            pid = self.rng.randint(1, 240)
            self.request(wf, at, "GET", f"/api/v1/products/{pid}/", "/api/v1/products/<int:pk>/",
                         lambda ctx, pid=pid: self.product(ctx, pid))  # fmt: skip
        done = wf.browser and self.rng.random() < 0.7
        if self.rng.random() < 0.08:
            at = wf.last + self.think()
            self.request(wf, at, "GET", f"/api/v1/products/{pid}/related/",
                         "/api/v1/products/<int:pk>/related/",
                         lambda ctx: self.related(ctx, pid), complete=done)  # fmt: skip
        elif done:
            wf.completed = wf.last < self.end

    def run_cart_update(self, wf, at):
        pid = self.rng.randint(1, 240)
        self.request(wf, at, "POST", "/api/v1/cart/items/", "/api/v1/cart/items/",
                     lambda ctx: self.add_to_cart(ctx, pid))  # fmt: skip
        if self.rng.random() < 0.5:
            self.request(wf, wf.last + self.think(), "GET", "/api/v1/cart/", "/api/v1/cart/",
                         self.view_cart)  # fmt: skip
        if wf.browser and self.rng.random() < 0.6:
            wf.completed = wf.last < self.end

    def run_checkout(self, wf, at):
        pid = self.rng.randint(1, 240)
        self.request(wf, at, "POST", "/api/v1/cart/items/", "/api/v1/cart/items/",
                     lambda ctx: self.add_to_cart(ctx, pid))  # fmt: skip
        answer = self.request(wf, wf.last + self.think(), "POST", "/api/v1/orders/checkout/",
                              "/api/v1/orders/checkout/", self.checkout, complete=True)  # fmt: skip
        if answer is not None and answer.status == 402 and wf.browser:
            frames = [{"file": "https://shop.example.com/static/shop/storefront.js", "line": 1,
                       "function": "CheckoutError", "in_app": True, "code": ""}]  # fmt: skip
            self.error(wf, None, "frontend",
                       ("CheckoutError", "The card was declined by its issuer.", "error", frames),
                       wf.last + 0.01, {"path": "/shop/"})  # fmt: skip
        elif answer is not None and answer.status == 201 and self.rng.random() < 0.05:
            message = f"Payment gateway slow: {self.rng.randint(800, 3000)} ms"
            self.error(wf, None, "external", ("log:shop.payments", message, "warning", []),
                       wf.last, {"path": "/api/v1/orders/checkout/"})  # fmt: skip

    def run_unknown(self, wf, at):
        if self.rng.random() < 0.6:
            country = self.rng.choice(COUNTRIES)
            self.request(wf, at, "GET", f"/api/v1/shipping/estimate/?country={country}",
                         "/api/v1/shipping/estimate/",
                         lambda ctx: self.shipping(ctx, country))  # fmt: skip
        else:
            self.request(wf, at, "GET", "/api/v1/recommendations/", "/api/v1/recommendations/",
                         self.recommendations, complete=wf.browser)  # fmt: skip

    def finish(self, wf):
        if wf.failed:
            wf.status = "failed"
            wf.ended = wf.last
        elif wf.completed:
            wf.status = "completed"
            wf.ended = wf.last
        elif wf.last < self.end - IN_PROGRESS_SECONDS:
            wf.status = "timed_out"
            wf.ended = wf.last
        else:
            wf.status = "in_progress"
        wf.metadata["entry_point"] = "browser" if wf.browser else "api"
        self.workflows.append(wf)

    def top_up(self, target_steps):
        """Vitals (the browser sends one per page) until the step count is exact."""
        missing = target_steps - self.counts["steps"]
        if missing < 0:
            raise SystemExit(
                f"the generator made {self.counts['steps']} steps for {len(self.workflows)} "
                f"workflows, more than --steps {target_steps}: ask for more steps"
            )
        for wf in self.rng.choices(self.browser_workflows, k=missing):
            self.vital(wf, min(wf.started + self.rng.uniform(0.5, 30.0), self.end - 0.001))
        self.flush()

    def workflow_line(self, wf):
        duration = (wf.ended - wf.started) * 1000 if wf.ended is not None else None
        return (
            f"{wf.id}\t{wf.correlation_id}\t{wf.kind}\t{wf.status}"
            f"\t{wf.user_id or NULL}\t{ts(wf.started)}\t{ts(wf.last)}"
            f"\t{NULL if wf.ended is None else ts(wf.ended)}"
            f"\t{NULL if duration is None else round(duration, 3)}\t{ts(wf.last)}"
            f"\t{wf.requests}\t{wf.steps}\t{wf.errors}\t{json_field(wf.metadata)}\n"
        )


def generate(gen, workflows, target_steps):
    """Every workflow, oldest first; returns the generator with its rows."""
    span = gen.end - gen.start
    starts = sorted(gen.start + gen.rng.random() * span for _ in range(workflows))
    # A few fingerprints were fixed two days ago: their older occurrences are resolved.
    gen.resolved = {
        fingerprint("HTTP 409", "409 Conflict: Not enough stock for: Compact Lamp 12.", []),
        fingerprint("ReferenceError", "dataLayer is not defined", [
            {"file": "https://shop.example.com/static/shop/storefront.js", "function": f,
             "in_app": True} for f in ("call", "track")
        ]),
        fingerprint("TypeError", "x is undefined", [
            {"file": "https://shop.example.com/static/shop/product.js", "function": f,
             "in_app": True} for f in ("call", "renderProduct")
        ]),
    }  # fmt: skip
    for number, started in enumerate(starts, start=1):
        gen.workflow(number, started)
    gen.top_up(target_steps)
    return gen


# --- loading -------------------------------------------------------------------------------


def admin_url(url):
    """The same server's maintenance database, to create the bench database from."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = "postgres"
    return psycopg.conninfo.make_conninfo(**info)


def database_name(url):
    return psycopg.conninfo.conninfo_to_dict(url).get("dbname", "")


def ensure_database(url):
    name = database_name(url)
    if name in FORBIDDEN_DATABASES or name.startswith("template"):
        raise SystemExit(f"refusing to use the database {name!r}: give the bench its own")
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
            return True
    return False


def dataset_info(conn):
    """What this bench loaded, from the database's comment (None: never loaded)."""
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname = current_database()"
    ).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None


def row_counts(conn):
    return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}


def ensure_users(conn):
    """The staff user the dashboard is asked as (with its token), and some customers."""
    conn.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,"
        " is_staff, is_active, date_joined) SELECT '!', false, 'bench-customer-' || g, '', '',"
        " '', false, true, now() FROM generate_series(1, %s) g ON CONFLICT (username) DO NOTHING",
        [CUSTOMERS],
    )
    conn.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,"
        " is_staff, is_active, date_joined) VALUES ('!', false, %s, '', '', '', true, true, "
        "now()) ON CONFLICT (username) DO UPDATE SET is_staff = true, is_active = true",
        [STAFF_USERNAME],
    )
    staff = conn.execute("SELECT id FROM auth_user WHERE username = %s", [STAFF_USERNAME])
    staff_id = staff.fetchone()[0]
    conn.execute(
        "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, now()) "
        "ON CONFLICT (user_id) DO UPDATE SET key = EXCLUDED.key",
        [STAFF_TOKEN, staff_id],
    )
    conn.execute("DELETE FROM flowscope_dashboardconfiguration WHERE user_id = %s", [staff_id])
    rows = conn.execute("SELECT id FROM auth_user WHERE username LIKE 'bench-customer-%'")
    return [row[0] for row in rows]


def drop_secondary(conn):
    """Drop the tables' unique/foreign-key constraints and plain indexes; return the DDL
    that rebuilds them (from the database's own definitions)."""
    tables = list(TABLES)
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.conrelid = i.indrelid)",
        [tables],
    ).fetchall()
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
        "ORDER BY contype DESC",  # unique ones first when rebuilding, foreign keys after
        [tables],
    ).fetchall()
    for table, name, _, _ in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    rebuild = [definition for _, definition in indexes]
    rebuild += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, _, definition in constraints
    ]
    return rebuild


ROLLUP_SQL = """
CREATE TEMP TABLE bench_obs ON COMMIT DROP AS
SELECT
    to_timestamp(floor(extract(epoch FROM started_at + duration_ms * interval '1 ms') / 60) * 60)
        AS window_start,
    layer,
    CASE
        WHEN layer = 'database' THEN
            CASE WHEN length(coalesce(metadata->>'sql', name)) <= 255
                THEN coalesce(metadata->>'sql', name)
                ELSE left(coalesce(metadata->>'sql', name), 241) || '… '
                    || left(encode(sha256(convert_to(coalesce(metadata->>'sql', name), 'UTF8')),
                                   'hex'), 12)
            END
        WHEN layer = 'cache' THEN coalesce(metadata->>'alias', 'default')
        ELSE left(name, 255)
    END AS component,
    duration_ms,
    status = 'error' AS failed,
    (metadata->>'query_count')::float AS queries,
    CASE WHEN layer = 'api' THEN (metadata->>'response_size')::float END AS size,
    CASE WHEN metadata ? 'hit' THEN (metadata->>'hit')::boolean::int ELSE 0 END
        + coalesce((metadata->>'hits')::int, 0) AS hits,
    CASE WHEN metadata ? 'hit' THEN 1 - (metadata->>'hit')::boolean::int ELSE 0 END
        + coalesce((metadata->>'misses')::int, 0) AS misses
FROM flowscope_tracestep;

INSERT INTO bench_obs
SELECT window_start, layer, '*', duration_ms, failed, queries, size, hits, misses
FROM bench_obs WHERE layer = 'api';

INSERT INTO flowscope_performancesnapshot (metric, layer, component, source, window_start,
    window_seconds, count, value, is_alert, severity, recorded_at)
SELECT 'layer_error_rate', layer, '*', %(source)s, window_start, 60, count(*),
    avg(failed::int), false, '', window_start + interval '75 seconds'
FROM bench_obs WHERE component <> '*' GROUP BY window_start, layer;

CREATE TEMP TABLE bench_series ON COMMIT DROP AS
SELECT window_start, layer, component, count(*) AS n, avg(duration_ms) AS avg_ms,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
    percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
    percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
    avg(failed::int) AS error_rate,
    avg(queries) AS queries_avg,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY queries) AS q50,
    percentile_disc(0.95) WITHIN GROUP (ORDER BY queries) AS q95,
    percentile_disc(0.99) WITHIN GROUP (ORDER BY queries) AS q99,
    count(size) AS sized, avg(size) AS size_avg,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY size) AS s50,
    percentile_disc(0.95) WITHIN GROUP (ORDER BY size) AS s95,
    percentile_disc(0.99) WITHIN GROUP (ORDER BY size) AS s99,
    sum(hits) AS hits, sum(misses) AS misses
FROM bench_obs GROUP BY 1, 2, 3;

INSERT INTO flowscope_performancesnapshot (metric, layer, component, source, window_start,
    window_seconds, count, value, p50, p95, p99, threshold, is_alert, severity, recorded_at)
SELECT m.metric, s.layer, s.component, %(source)s, s.window_start, 60, m.n, m.value,
    m.p50, m.p95, m.p99, a.threshold, a.threshold IS NOT NULL, coalesce(a.severity, ''),
    s.window_start + interval '75 seconds'
FROM bench_series s
CROSS JOIN LATERAL (VALUES
    ('response_time_ms', s.n, s.avg_ms, s.p50, s.p95, s.p99, s.p95, true),
    ('error_rate', s.n, s.error_rate, NULL, NULL, NULL, s.error_rate, s.layer <> 'cache'),
    ('query_count', s.n, s.queries_avg, s.q50, s.q95, s.q99, s.queries_avg, s.layer = 'api'),
    ('throughput_rpm', s.n, s.n::float, NULL, NULL, NULL, NULL, s.layer = 'api'),
    ('response_size_bytes', s.sized, s.size_avg, s.s50, s.s95, s.s99, NULL,
        s.layer = 'api' AND s.sized > 0),
    ('cache_hit_ratio', s.hits + s.misses, s.hits::float / nullif(s.hits + s.misses, 0),
        NULL, NULL, NULL, s.hits::float / nullif(s.hits + s.misses, 0),
        s.layer = 'cache' AND s.hits + s.misses > 0)
) AS m(metric, n, value, p50, p95, p99, alert_on, wanted)
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN m.metric = 'response_time_ms' AND m.alert_on > 2000 THEN 2000
        WHEN m.metric = 'response_time_ms' AND m.alert_on > 500 THEN 500
        WHEN m.metric = 'error_rate' AND m.alert_on > 0.2 THEN 0.2
        WHEN m.metric = 'error_rate' AND m.alert_on > 0.05 THEN 0.05
        WHEN m.metric = 'query_count' AND m.alert_on > 50 THEN 50
        WHEN m.metric = 'query_count' AND m.alert_on > 20 THEN 20
        WHEN m.metric = 'cache_hit_ratio' AND m.alert_on < 0.2 THEN 0.2
        WHEN m.metric = 'cache_hit_ratio' AND m.alert_on < 0.5 THEN 0.5
    END::float AS threshold
) AS t
CROSS JOIN LATERAL (
    SELECT t.threshold,
        CASE WHEN t.threshold IN (2000, 0.2, 50) AND m.metric <> 'cache_hit_ratio'
                THEN 'critical'
            WHEN m.metric = 'cache_hit_ratio' AND t.threshold = 0.2 THEN 'critical'
            WHEN t.threshold IS NOT NULL THEN 'warning'
        END AS severity
) AS a
WHERE m.wanted;
"""

# CPU, memory and threads of two serving processes, every 30 s (PROCESS_METRICS_INTERVAL);
# each day's deploy gives them new PIDs, hence new sources.
PROCESS_SQL = """
INSERT INTO flowscope_performancesnapshot (metric, layer, component, source, window_start,
    window_seconds, count, value, is_alert, severity, recorded_at)
SELECT m.metric, 'process', src, src, at, 30, 1, m.value, false, '', at
FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz, interval '30 seconds') at
CROSS JOIN generate_series(1, 2) worker
CROSS JOIN LATERAL (SELECT %(host)s || ':' || (1000 + worker * 7919
    + floor(extract(epoch FROM at - %(start)s::timestamptz) / 86400)::int * 131) AS src) s
CROSS JOIN LATERAL (VALUES
    ('cpu_percent', 15 + 10 * sin(extract(epoch FROM at) / 3600) + random() * 20),
    ('memory_mb', 180 + 30 * random()),
    ('threads', 8 + floor(random() * 3))
) AS m(metric, value)
"""


def columns(cur, table):
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    return {row[0] for row in cur.fetchall()}


def copy_errors(cur, errors):
    """The errors; ``recorded_at`` too when the schema has it (migration 0004)."""
    recorded = "recorded_at" in columns(cur, "flowscope_errorlog")
    names = (
        "workflow_id, step_id, layer, error_type, message, stack_trace, severity, "
        "fingerprint, resolved, created_at, request_context"
    ) + (", recorded_at" if recorded else "")
    with cur.copy(f"COPY flowscope_errorlog ({names}) FROM STDIN") as copy:
        copy.write(
            "".join(
                f"{line}\t{recorded_ts}\n" if recorded else f"{line}\n"
                for line, recorded_ts in errors
            )
        )


def load(url, workflows, steps, days, seed, log=print):
    """Replace the flowscope tables' rows with a fresh dataset ending now."""
    end = float(int(time.time()))
    start = end - days * 86400
    timings = {}
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        user_ids = ensure_users(conn)
        rebuild = drop_secondary(conn)
        with conn.cursor() as cur:
            copy_steps = cur.copy(
                "COPY flowscope_tracestep (id, span_id, parent_span_id, layer, name, status, "
                "started_at, duration_ms, metadata, workflow_id) FROM STDIN"
            )
            with copy_steps as copy:
                gen = Generator(
                    seed, start, end, user_ids, lambda lines: copy.write("".join(lines))
                )
                generate(gen, workflows, steps)
            timings["generate_and_copy_steps_s"] = time.perf_counter() - began
            mark = time.perf_counter()
            with cur.copy(
                "COPY flowscope_workflowsession (id, correlation_id, workflow_type, status, "
                "user_id, started_at, last_activity_at, ended_at, duration_ms, updated_at, "
                "request_count, step_count, error_count, metadata) FROM STDIN"
            ) as copy:
                for chunk in range(0, len(gen.workflows), 20000):
                    part = gen.workflows[chunk : chunk + 20000]
                    copy.write("".join(gen.workflow_line(wf) for wf in part))
            copy_errors(cur, gen.errors)
            timings["copy_workflows_errors_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            for statement in ROLLUP_SQL.split(";\n"):
                if statement.strip():
                    cur.execute(
                        statement, {"source": f"{HOSTNAME}:4242"} if "%(" in statement else None
                    )
            cur.execute(PROCESS_SQL, {"start": ts(start), "end": ts(end), "host": HOSTNAME})
            timings["rollups_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            for statement in rebuild:
                cur.execute(statement)
            for table in TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            timings["indexes_s"] = time.perf_counter() - mark
        info = {
            "workflows": workflows,
            "steps": steps,
            "days": days,
            "seed": seed,
            "start": start,
            "end": end,
            "loaded_at": time.time(),
        }
        name = psycopg.sql.Identifier(database_name(url))
        conn.execute(
            psycopg.sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                name, psycopg.sql.Literal(json.dumps(info))
            )
        )
    mark = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM (ANALYZE) {table}")
        timings["vacuum_analyze_s"] = time.perf_counter() - mark
        info["rows"] = row_counts(conn)
    timings["total_s"] = time.perf_counter() - began
    info["timings"] = {k: round(v, 1) for k, v in timings.items()}
    log(f"loaded {info['rows']} in {info['timings']}")
    return info


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/flowscope_bench"
    )
    parser.add_argument("--workflows", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=20261126)
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    ensure_database(args.database_url)
    load(args.database_url, args.workflows, args.steps, args.days, args.seed)
