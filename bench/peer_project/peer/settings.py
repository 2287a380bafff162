"""Settings of the peer project; ``PEER_VARIANT`` chooses the instrumentation:

- ``bare``: none.
- ``flowscope``: flowscope installed, its middleware first, every step sampled; its store is
  the app's own database.
- ``flowscope-stream``: the same with the "redis" transport: the serving process appends its
  records to the stream ``PEER_STREAM_KEY`` of ``PEER_STREAM_URL``, and a ``flowscope_writer``
  process (these settings too) writes them to the same store.
- ``otel``: none here; ``peer.gunicorn_conf`` instruments the worker after the fork.

``DATABASE_URL`` names the database (a SQLite file by default).
"""

import os
from pathlib import Path

import dj_database_url

VARIANT = os.environ.get("PEER_VARIANT", "bare")
VARIANTS = ("bare", "flowscope", "flowscope-stream", "otel")
if VARIANT not in VARIANTS:
    raise ValueError(f"PEER_VARIANT must be one of {', '.join(VARIANTS)}, not {VARIANT!r}")

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "peer-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# What `django-admin startproject` gives, plus the one app.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "catalog",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if VARIANT.startswith("flowscope"):
    INSTALLED_APPS.append("flowscope")
    MIDDLEWARE.insert(0, "flowscope.capture.middleware.FlowscopeMiddleware")
    FLOWSCOPE = {"SAMPLE_RATE": 1.0}
if VARIANT == "flowscope-stream":
    FLOWSCOPE |= {
        "TRANSPORT": "redis",
        "STREAM_URL": os.environ["PEER_STREAM_URL"],
        "STREAM_KEY": os.environ["PEER_STREAM_KEY"],
    }

ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Persistent connections, as a production host would keep them.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'peer.sqlite3'}", conn_max_age=600
    )
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
