"""The example project's settings follow the environment as the README says."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parents[3] / "example"

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "db_options": settings.DATABASES["default"].get("OPTIONS", {}),
    "db_test": settings.DATABASES["default"].get("TEST", {}),
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "secret": settings.SECRET_KEY,
}))
"""


def settings_with(tmp_path, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="ecommerce_project.settings", FLOWSCOPE_VAR_DIR=str(tmp_path), **env
    )
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=EXAMPLE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_defaults_need_nothing_installed(tmp_path):
    found = settings_with(tmp_path)
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(tmp_path / "flowscope-demo.sqlite3")
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["debug"] is True
    assert "127.0.0.1" in found["hosts"]


def test_environment_switches_to_postgres_and_redis(tmp_path):
    found = settings_with(
        tmp_path,
        DATABASE_URL="postgres://u@db.internal:5432/shop",
        REDIS_URL="redis://cache.internal:6379/1",
        DEBUG="false",
        SECRET_KEY="s3cret",
        ALLOWED_HOSTS="shop.example.com, api.example.com",
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["layer"] == "channels_redis.core.RedisChannelLayer"
    assert found["debug"] is False
    assert found["secret"] == "s3cret"
    assert found["hosts"] == ["shop.example.com", "api.example.com"]


def test_environment_switches_to_mysql_with_every_character(tmp_path):
    found = settings_with(tmp_path, DATABASE_URL="mysql://shop:pw@db.internal:3306/shop")
    assert found["db"] == "django.db.backends.mysql"
    assert found["db_name"] == "shop"
    assert found["db_options"] == {"charset": "utf8mb4", "isolation_level": "read committed"}
    assert found["db_test"]["CHARSET"] == "utf8mb4"


@pytest.mark.mysql
@pytest.mark.django_db
def test_the_mysql_store_holds_4_byte_characters_and_matches_ids_with_their_case():
    """Read off the server: utf8mb4 tables, and correlation IDs in a binary collation."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, character_set_name, collation_name"
            " FROM information_schema.columns WHERE table_schema = DATABASE()"
            " AND column_name IN ('correlation_id', 'name', 'message')"
            " AND table_name LIKE 'flowscope%%'"
        )
        columns = {
            (table, column): (charset, collation) for table, column, charset, collation in cursor
        }
    assert {charset for charset, _ in columns.values()} == {"utf8mb4"}
    assert columns["flowscope_workflowsession", "correlation_id"][1] == "utf8mb4_bin"
    assert columns["flowscope_testrun", "correlation_id"][1] == "utf8mb4_bin"


@pytest.mark.redis
@pytest.mark.django_db
def test_product_reads_are_cached_in_redis(client):
    """On the production setup the shop's cache layer is Redis for real."""
    import redis
    from django.core.cache import cache

    from shop.models import Category, Product

    category = Category.objects.create(name="Toys", slug="toys")
    product = Product.objects.create(category=category, name="Kite", slug="kite", price=3, stock=1)
    client.get(f"/api/v1/products/{product.pk}/")
    raw_key = cache.make_and_validate_key(f"catalog:product:{product.pk}")
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).exists(raw_key)
