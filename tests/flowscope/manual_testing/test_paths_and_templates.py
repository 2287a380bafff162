"""The small JSON path language and the ``{placeholder}`` templates of workflow steps."""

import pytest

from flowscope.manual_testing.json_paths import MISSING, lookup, parse
from flowscope.manual_testing.templates import MissingValue, names_in, render, render_path

CART = {
    "items": [
        {"id": 7, "product": {"id": 3, "name": "Lamp"}},
        {"id": 9, "product": {"id": 17, "name": "Tent"}},
    ],
    "ok": True,
}


@pytest.mark.parametrize(
    "path, value",
    [
        ("items.0.id", 7),
        ("items[1].id", 9),
        ("$.items[-1].product.name", "Tent"),
        ("items[product.id=17].id", 9),
        ("items[product.name=Lamp].product.id", 3),
        ("ok", True),
        ("$", CART),
        ("items.5.id", MISSING),
        ("items[product.id=99].id", MISSING),
        ("ok.deeper", MISSING),
        ("missing", MISSING),
    ],
)
def test_lookup(path, value):
    found = lookup(CART, path)
    assert found is value if value is MISSING else found == value


@pytest.mark.parametrize("path", ["a..b", "a.", "a[0", "a]"])
def test_unreadable_paths(path):
    with pytest.raises(ValueError, match="Cannot read"):
        parse(path)


def test_a_whole_placeholder_keeps_its_type_and_text_is_filled_in():
    values = {"quantity": 2, "token": "abc", "flag": False}
    assert render({"q": "{quantity}", "auth": ["Token {token}"], "n": 5}, values) == {
        "q": 2,
        "auth": ["Token abc"],
        "n": 5,
    }
    assert render("{flag}/{quantity}", values) == "false/2"
    with pytest.raises(MissingValue, match=r"No value for \{other\}"):
        render("{other}", values)


def test_path_values_are_quoted_so_they_cannot_add_segments():
    assert render_path("/p/{id}/", {"id": "../admin?x=1"}) == "/p/..%2Fadmin%3Fx%3D1/"
    assert render_path("/p/{id}/", {"id": 5}) == "/p/5/"


def test_names_in_nested_templates():
    assert names_in(["/p/{a}/", {"h": "Token {b}"}, {"x": ["{c}", 1]}, None]) == {"a", "b", "c"}
    assert render("{x.__class__}", {"x": 1}) == "{x.__class__}"  # no str.format tricks
