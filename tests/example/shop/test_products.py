import time

import pytest

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def test_list_is_paginated(anon, catalogue):
    body = anon.get(PRODUCTS).json()
    assert body["count"] == 26
    assert len(body["results"]) == 20
    assert body["next"].endswith("?page=2")
    assert len(anon.get(PRODUCTS, {"page": 2}).json()["results"]) == 6


def test_page_size_is_bounded(anon, catalogue):
    assert len(anon.get(PRODUCTS, {"page_size": 5}).json()["results"]) == 5
    assert len(anon.get(PRODUCTS, {"page_size": 10_000}).json()["results"]) == 26


def test_page_past_the_end_is_404_json(anon, catalogue):
    response = anon.get(PRODUCTS, {"page": 99})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_search_matches_name_and_description(anon, catalogue):
    assert [p["name"] for p in anon.get(PRODUCTS, {"search": "trowel"}).json()["results"]] == [
        "Blue Trowel"
    ]
    assert anon.get(PRODUCTS, {"search": "gripping"}).json()["count"] == 25


def test_category_filter(anon, catalogue):
    body = anon.get(PRODUCTS, {"category": "garden"}).json()
    assert body["count"] == 1
    assert body["results"][0]["category"] == {
        "id": catalogue[-1].category_id,
        "name": "Garden",
        "slug": "garden",
    }


def test_unknown_category_is_400_naming_it(anon, catalogue):
    response = anon.get(PRODUCTS, {"category": "weapons"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"category": ["Unknown category 'weapons'."]}


def test_detail(anon, trowel):
    body = anon.get(f"{PRODUCTS}{trowel.pk}/").json()
    assert body["name"] == "Blue Trowel"
    assert body["price"] == "7.25"
    assert body["stock"] == 3


def test_unknown_product_is_404_json(anon, catalogue):
    response = anon.get(f"{PRODUCTS}999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_api_path_is_404_json(anon, db):
    for path in ["/api/v1/products/abc/", "/api/v1/nothing-here/", "/api/v2/"]:
        response = anon.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_product_reads_are_served_from_the_cache(anon, trowel, django_assert_num_queries):
    anon.get(f"{PRODUCTS}{trowel.pk}/")
    anon.get(PRODUCTS, {"category": "garden"})
    with django_assert_num_queries(0):
        assert anon.get(PRODUCTS, {"category": "garden"}).json()["count"] == 1
    with django_assert_num_queries(0):
        assert anon.get(f"{PRODUCTS}{trowel.pk}/").json()["stock"] == 3


def test_related_products_is_the_deliberate_n_plus_one(anon, novel, django_assert_num_queries):
    # 1 query for the product, 1 for the related list, then one per related product.
    with django_assert_num_queries(2 + 12):
        body = anon.get(f"{PRODUCTS}{novel.pk}/related/").json()
    assert len(body["results"]) == 12
    assert {item["category"] for item in body["results"]} == {"Books"}


def test_related_of_unknown_product_is_404(anon, db):
    assert anon.get(f"{PRODUCTS}424242/related/").status_code == 404


def test_recommendations_is_the_deliberately_slow_endpoint(anon, catalogue, settings):
    settings.SHOP_SLOW_ENDPOINT_DELAY_MS = 80
    started = time.monotonic()
    response = anon.get("/api/v1/recommendations/")
    assert time.monotonic() - started >= 0.08
    assert len(response.json()["results"]) == 8
