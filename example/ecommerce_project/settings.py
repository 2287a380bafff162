"""Settings of the example e-commerce project that flowscope instruments.

Everything that differs between a laptop and a server comes from the environment, with
development defaults that need nothing installed: SQLite under ``var/`` and the in-memory
channel layer. ``DATABASE_URL`` (sqlite:///, postgres:// or mysql://) and ``REDIS_URL``
switch to PostgreSQL or MySQL/MariaDB and to Redis for the cache, the channel layer and
flowscope's transport.
"""

import os
from pathlib import Path

import dj_database_url

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = EXAMPLE_DIR.parent
# The embedded SQLite database (and the test database) live here.
VAR_DIR = Path(os.environ.get("FLOWSCOPE_VAR_DIR", REPO_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-flowscope-example-development-only")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "flowscope",
    "shop",
]

MIDDLEWARE = [
    # First, so that the API step it times covers every other middleware too.
    "flowscope.capture.middleware.FlowscopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ecommerce_project.urls"
WSGI_APPLICATION = "ecommerce_project.wsgi.application"
ASGI_APPLICATION = "ecommerce_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite file by default, anything dj-database-url reads otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'flowscope-demo.sqlite3'}", conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while requests and the recorder write; IMMEDIATE
    # transactions plus a busy timeout turn lock contention into waiting, not errors.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests get a file too: an in-memory SQLite cannot be shared by the threads of the
    # concurrency tests (it answers "table is locked" instead of waiting).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-flowscope.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # Whatever the server's defaults: every Unicode character (4-byte ones such as emoji
    # included), and a test database that holds them too. Django reads committed rows (not
    # MySQL's REPEATABLE READ), so a waiting writer sees what the other one committed.
    DATABASES["default"]["OPTIONS"] = {
        "charset": "utf8mb4",
        "isolation_level": "read committed",
        **DATABASES["default"].get("OPTIONS", {}),  # the URL's own (?ssl_mode=...) win
    }
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer: in-process by default, Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "shop"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels-redis waits 5 s in BZPOPMIN for each receive; redis-py's default
            # socket timeout is 5 s too, so a busy process times out its own receive (and
            # drops that socket). Read for longer than the layer blocks.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "shop.pagination.ShopPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "shop.errors.exception_handler",
    # Flowscope's OpenAPI schema (schema/, schema/docs/) is drf-spectacular's.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- The simulated payment gateway (see shop/payments.py).
SHOP_PAYMENT_GATEWAY = {
    "LATENCY_MS": int(os.environ.get("SHOP_PAYMENT_LATENCY_MS", "120")),
    "FAILURE_RATE": float(os.environ.get("SHOP_PAYMENT_FAILURE_RATE", "0.0")),
}
# The deliberately slow endpoint's delay (see shop/views/recommendations.py).
SHOP_SLOW_ENDPOINT_DELAY_MS = int(os.environ.get("SHOP_SLOW_ENDPOINT_DELAY_MS", "1500"))
SHOP_PRODUCT_CACHE_SECONDS = int(os.environ.get("SHOP_PRODUCT_CACHE_SECONDS", "300"))

# The key the storefront's browser SDK (and any OpenTelemetry exporter) sends with events.
FLOWSCOPE_INGEST_KEY = os.environ.get("FLOWSCOPE_INGEST_KEY", "flowscope-demo-ingest-key")

# The shop's workflows as the dashboard runs them by hand (manual-testing/test_workflow/).
# Each step is one request; {placeholders} take a parameter (defaults below, overridable
# per run) or a value extracted from an earlier answer. The customer is seed_demo's alice.
CUSTOMER = {"username": "alice", "password": "alice-demo-pass"}
AS_CUSTOMER = {"Authorization": "Token {token}"}
LOG_IN = {
    "name": "log in",
    "method": "POST",
    "path": "/api/v1/auth/login/",
    "body": {"username": "{username}", "password": "{password}"},
    "expected_status": 200,
    "extract": {"token": "token"},
}
FIND_PRODUCT = {  # an empty search sends none: the first product of the catalogue
    "name": "find a product",
    "method": "GET",
    "path": "/api/v1/products/",
    "query": {"search": "{product}"},
    "expected_status": 200,
    "extract": {"product_id": "results.0.id"},
}
ADD_TO_CART = {
    "name": "add it to the cart",
    "method": "POST",
    "path": "/api/v1/cart/items/",
    "headers": AS_CUSTOMER,
    "body": {"product_id": "{product_id}", "quantity": "{quantity}"},
    "expected_status": 201,
    "extract": {"item_id": "items[product.id={product_id}].id"},
}
SHOP_WORKFLOWS = {
    "login": {
        "description": "Sign in with a username and password.",
        "params": CUSTOMER,
        "steps": [LOG_IN],
    },
    "product_fetch": {
        "description": "Search the catalogue and open the first match.",
        "params": {"product": ""},
        "steps": [
            FIND_PRODUCT,
            {
                "name": "open the product",
                "method": "GET",
                "path": "/api/v1/products/{product_id}/",
                "expected_status": 200,
            },
        ],
    },
    "cart_update": {
        "description": "Sign in, add a product to the cart, change its quantity.",
        "params": {**CUSTOMER, "product": "", "quantity": 1, "new_quantity": 2},
        "steps": [
            LOG_IN,
            FIND_PRODUCT,
            ADD_TO_CART,
            {
                "name": "change the quantity",
                "method": "PATCH",
                "path": "/api/v1/cart/items/{item_id}/",
                "headers": AS_CUSTOMER,
                "body": {"quantity": "{new_quantity}"},
                "expected_status": 200,
            },
        ],
    },
    "checkout": {
        "description": "Sign in, add a product to the cart, pay for the cart.",
        "params": {
            **CUSTOMER,
            "product": "",
            "quantity": 1,
            "shipping_address": "1 Main St, Springfield",
            "card_number": "4242424242424242",  # 4000000000000002 is always declined
            "expiry": "12/39",
            "cvv": "123",
        },
        "steps": [
            LOG_IN,
            FIND_PRODUCT,
            ADD_TO_CART,
            {
                "name": "check out",
                "method": "POST",
                "path": "/api/v1/orders/checkout/",
                "headers": AS_CUSTOMER,
                "body": {
                    "shipping_address": "{shipping_address}",
                    "payment": {
                        "card_number": "{card_number}",
                        "expiry": "{expiry}",
                        "cvv": "{cvv}",
                    },
                },
                "expected_status": 201,
                "extract": {"order_id": "id"},
            },
        ],
    },
}

# Flowscope says on the console what it could not keep (and what it kept at shutdown).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"flowscope": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# The shop's business rules, checked on every login, product fetch, cart update and
# checkout that completes or fails (docs/invariants.md walks through them). The shop's
# deliberate bugs break two: the N+1 of related products (queries a request) and the
# shipping estimate's 500 (no 5xx); a declined card or a refused cart breaks none.
NO_5XX = {"name": "no 5xx", "kind": "no_server_errors"}
CACHE_READ_THROUGH = {
    "name": "catalog cache written only on a miss",
    "kind": "cache_write_only_on_miss",
    "keys": "catalog:*",
}
AT_MOST_15_QUERIES = {
    "name": "at most 15 queries a request",
    "kind": "queries_per_request",
    "at_most": 15,
}
PLACED_ORDER = {"name": "checkout.place_order"}
SHOP_INVARIANTS = {
    # A login workflow may go on to fill a cart: the same bound as a cart update's.
    "login": [NO_5XX, AT_MOST_15_QUERIES],
    "product_fetch": [
        NO_5XX,
        {"name": "at most 8 queries a request", "kind": "queries_per_request", "at_most": 8},
        CACHE_READ_THROUGH,
    ],
    "cart_update": [NO_5XX, AT_MOST_15_QUERIES],
    "checkout": [
        NO_5XX,
        {"name": "at most 25 queries a request", "kind": "queries_per_request", "at_most": 25},
        CACHE_READ_THROUGH,
        {
            "name": "one order row",
            "kind": "count",
            "steps": {"sql": "INSERT INTO shop_order *"},
            "equals": 1,
            "when": "completed",
        },
        {
            "name": "one stock update per line",
            "kind": "count",
            "steps": {"sql": "UPDATE shop_product SET stock *"},
            "equals": {"metadata": "line_count", "of": PLACED_ORDER},
            "when": "completed",
        },
        {
            "name": "payment gateway called once",
            "kind": "count",
            "steps": {"layer": "external", "name": "payment_gateway.charge"},
            "equals": 1,
            "when": "completed",
        },
        {
            "name": "charged the order total",
            "kind": "value",
            "value": {"metadata": "amount", "of": {"name": "payment_gateway.charge"}},
            "equals": {"metadata": "order_total", "of": PLACED_ORDER},
        },
        {
            "name": "order total is the cart total",
            "kind": "value",
            "value": {"metadata": "order_total", "of": PLACED_ORDER},
            "equals": {"metadata": "cart_total", "of": {"name": "cart.price"}},
        },
    ],
}

# The shop's latency budgets: the p95 each workflow may take in all, per layer and in a
# step, over the window (docs/budgets.md walks through them). The recommendations'
# deliberate slowness (SHOP_SLOW_ENDPOINT_DELAY_MS) takes a product fetch's API time over
# its budget; the rest leaves room for a sign-in's password hashing and the storefront's
# page loads (LCP). The checkout's payment call (shop/payments.py, a step named
# "payment_gateway.charge") waits SHOP_PAYMENT_GATEWAY["LATENCY_MS"], 120 ms by default.
SHOP_BUDGETS = {
    "login": {"total_ms": 3000, "layers": {"api": 2500, "database": 200}},
    "product_fetch": {
        "total_ms": 2500,
        "layers": {"frontend": 500, "api": 600, "database": 150},
    },
    "cart_update": {"total_ms": 6000, "layers": {"api": 5000, "database": 400}},
    "checkout": {
        "total_ms": 8000,
        "layers": {"frontend": 3000, "api": 5000, "database": 1000, "external": 500},
        "steps": {"payment_gateway.charge": 300},
    },
}

# Flowscope's options and their defaults: docs/configuration.md.
FLOWSCOPE = {
    "INGEST_KEYS": [FLOWSCOPE_INGEST_KEY],
    # The shop's four workflows. A client may also name its workflow in X-Workflow-Type.
    "WORKFLOWS": {
        "login": {
            "routes": ["POST /api/v1/auth/login/"],
            "complete_on": ["POST /api/v1/auth/login/"],
        },
        "product_fetch": {
            "routes": [
                "GET /api/v1/products/",
                "GET /api/v1/products/<int:pk>/",
                "GET /api/v1/products/<int:pk>/related/",
            ]
        },
        "cart_update": {"routes": ["/api/v1/cart/items/", "/api/v1/cart/items/<int:item_id>/"]},
        "checkout": {
            "routes": ["POST /api/v1/orders/checkout/"],
            "complete_on": ["POST /api/v1/orders/checkout/"],
        },
    },
    # The same four, step by step, for the dashboard's manual testing.
    "WORKFLOW_DEFINITIONS": SHOP_WORKFLOWS,
    # A replay's test identity: what the scrubber masked, supplied again. The simulated
    # customers share one password; each request after the login carries the replay's own
    # token; the checkout pays with the gateway's test card (type another on the page).
    "REPLAY_VALUES": {
        "password": "shopper-demo-pass",
        "authorization": "Token {token}",
        "card_number": "4242424242424242",
        "cvv": "123",
    },
    "INVARIANTS": SHOP_INVARIANTS,
    # The drop-off funnel over a shopper's journey: the shop's four workflows, in order.
    "FUNNEL": ["login", "product_fetch", "cart_update", "checkout"],
    "BUDGETS": SHOP_BUDGETS,
    # With Redis, requests go to a Redis stream and `manage.py flowscope_writer` processes
    # write them (`make demo` starts one); FLOWSCOPE_TRANSPORT=thread keeps the writer
    # in-process. FLOWSCOPE_STREAM_URL puts the stream on a Redis of its own.
    "TRANSPORT": os.environ.get("FLOWSCOPE_TRANSPORT") or ("redis" if REDIS_URL else "thread"),
    "STREAM_URL": os.environ.get("FLOWSCOPE_STREAM_URL") or REDIS_URL or None,
}
