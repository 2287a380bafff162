"""``available_endpoints/``: every route of the URLconf, with methods, view and schema."""

from flowscope.manual_testing import openapi
from tests.flowscope.manual_testing.conftest import MANUAL_TESTING, run_endpoint

URL = f"{MANUAL_TESTING}available_endpoints/"


def listed(client, **query):
    response = client.get(URL, query)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == len(body["results"])
    return {endpoint["pattern"]: endpoint for endpoint in body["results"]}


def test_the_shops_routes_with_methods_views_and_parameters(staff_client):
    endpoints = listed(staff_client)
    item = endpoints["/api/v1/cart/items/<int:item_id>/"]
    assert item["name"] == "cart-item"
    assert item["methods"] == ["PATCH", "DELETE", "OPTIONS"]
    assert item["view"] == "shop.views.cart.CartItemDetailView"
    assert item["parameters"] == [{"name": "item_id", "type": "int"}]
    assert (item["regex"], item["internal"]) == (False, False)
    assert endpoints["/api/v1/products/"]["methods"] == ["GET", "HEAD", "OPTIONS"]
    assert endpoints["/api/v1/auth/login/"]["methods"] == ["POST", "OPTIONS"]
    storefront = endpoints["/shop/"]
    assert (storefront["view"], storefront["schema"]) == (
        "shop.views.storefront.StorefrontView",
        {"GET": None},
    )
    catch_all = endpoints["/api/"]  # re_path(r"^api/", api_not_found)
    assert (catch_all["regex"], catch_all["methods"], catch_all["view"]) == (
        True,
        None,  # a function view does not say which methods it answers
        "shop.errors.api_not_found",
    )


def test_internal_routes_only_when_asked(staff_client):
    patterns = set(listed(staff_client))
    assert not [
        p for p in patterns if p.startswith(("/debugging/", "/api/v1/debugging/", "/admin/"))
    ]
    everything = listed(staff_client, include_internal="true")
    assert everything["/admin/"]["internal"] is True
    assert everything["/debugging/health/"]["internal"] is True
    assert everything["/api/v1/debugging/health/"]["internal"] is True
    assert patterns < set(everything)


def test_drf_router_routes_with_their_actions(staff_client):
    endpoints = listed(staff_client, include_internal="true")
    reports = endpoints["/debugging/reports/"]
    assert reports["name"] == "flowscope:report-list"
    assert reports["actions"] == {"get": "list"}
    assert reports["view"] == "flowscope.api.views.reports.ReportViewSet"
    detail = endpoints["/debugging/reports/(?P<pk>[^/.]+)/"]
    assert detail["actions"] == {"get": "retrieve", "delete": "destroy"}
    assert detail["methods"] == ["GET", "DELETE", "HEAD", "OPTIONS"]
    assert detail["parameters"] == [{"name": "pk", "type": "regex"}]
    generate = endpoints["/debugging/reports/generate_workflow_report/"]
    assert generate["methods"] == ["POST", "OPTIONS"]
    config = endpoints["/debugging/dashboard-config/(?P<pk>[^/.]+)/"]
    assert config["methods"] == ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def test_schemas_where_the_openapi_schema_has_them(staff_client):
    endpoints = listed(staff_client, include_internal="true")
    product = endpoints["/api/v1/products/<int:pk>/"]["schema"]["GET"]
    assert product["request"] is None
    assert {"id", "name", "price", "stock"} <= set(product["responses"]["200"]["properties"])
    assert product["parameters"][0]["name"] == "id"
    page = endpoints["/api/v1/products/"]["schema"]["GET"]["responses"]["200"]
    assert page["properties"]["results"]["items"]["properties"]["name"]["type"] == "string"
    created = endpoints["/debugging/dashboard-config/"]["schema"]["POST"]
    assert created["request"]["properties"]["refresh_interval"]["maximum"] == 3600


def test_nested_includes_and_regex_routes(staff_client, nested_urlconf):
    endpoints = listed(staff_client)
    item = endpoints["/legacy/(?P<version>v[0-9]+)/items/(?P<item_id>[0-9]+)/"]
    assert (item["name"], item["regex"], item["methods"]) == ("legacy:item", True, None)
    assert item["parameters"] == [
        {"name": "version", "type": "regex"},
        {"name": "item_id", "type": "regex"},
    ]
    thing = endpoints["/legacy/(?P<version>v[0-9]+)/deep/things/<slug:slug>/"]
    assert thing["name"] == "legacy:thing"
    assert thing["methods"] == ["GET", "PUT", "HEAD", "OPTIONS"]
    assert thing["parameters"][-1] == {"name": "slug", "type": "slug"}
    assert thing["view"] == "tests.flowscope.manual_testing.urls.ThingView"
    assert "/api/v1/cart/" in endpoints  # the project, included one level down


def test_a_regex_route_can_be_tested(staff_client, shop, nested_urlconf):
    result = run_endpoint(staff_client, method="GET", path="/legacy/v2/items/42/")
    assert result["passed"] is True
    assert result["response_body"] == {"version": "v2", "item_id": 42}


def test_a_schema_that_cannot_be_built_is_left_out(staff_client, monkeypatch):
    openapi.forget()

    def fail(urlconf):
        raise RuntimeError("a view drf-spectacular cannot read")

    monkeypatch.setattr(openapi, "_build_index", fail)
    try:
        endpoints = listed(staff_client)
    finally:
        openapi.forget()
    assert endpoints["/api/v1/products/"]["schema"] == {"GET": None}
