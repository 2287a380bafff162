"""ASGI_APPLICATION routes the sockets and the lifespan to flowscope."""

APPS = "tests.flowscope.checks.asgi_apps"


def routing_warnings(reported):
    return [m.msg for m in reported("flowscope.W011") + reported("flowscope.W012")]


def test_the_example_routes_both(reported):
    assert routing_warnings(reported) == []


def test_django_alone_routes_neither(settings, reported):
    settings.ASGI_APPLICATION = f"{APPS}.django_only"
    [sockets] = reported("flowscope.W011")
    assert "routes no 'websocket' scope" in sockets.msg
    assert "with_flowscope(get_asgi_application())" in sockets.hint
    [lifespan] = reported("flowscope.W012")
    assert "routes no 'lifespan' scope" in lifespan.msg
    assert "with_flowscope" in lifespan.hint


def test_a_router_without_the_lifespan(settings, reported):
    settings.ASGI_APPLICATION = f"{APPS}.without_lifespan"
    assert reported("flowscope.W011") == []
    assert len(reported("flowscope.W012")) == 1


def test_a_router_inside_the_hosts_middleware_is_found(settings, reported):
    settings.ASGI_APPLICATION = f"{APPS}.wrapped"
    assert routing_warnings(reported) == []


def test_socket_routes_that_leave_flowscope_out(settings, reported):
    settings.ASGI_APPLICATION = f"{APPS}.hosts_sockets_only"
    [sockets] = reported("flowscope.W011")
    assert "none of its routes leads to flowscope's consumers" in sockets.msg
    assert "websocket_application(fallback=" in sockets.hint
    settings.ASGI_APPLICATION = f"{APPS}.hosts_sockets_and_flowscopes"
    assert routing_warnings(reported) == []


def test_an_application_that_cannot_be_imported_is_an_error(settings, reported):
    settings.ASGI_APPLICATION = f"{APPS}.nothing_here"
    [error] = reported("flowscope.E005")
    assert "nothing_here" in error.msg


def test_a_wsgi_only_host_is_not_asked_for_asgi_routing(settings, reported):
    del settings.ASGI_APPLICATION
    assert routing_warnings(reported) == []
    assert reported("flowscope.E005") == []
