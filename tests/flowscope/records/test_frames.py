"""Which frames are the host's own code, on this machine and in another's stack."""

import django
import pytest

from flowscope.records.frames import display_path, is_in_app, is_library_path


@pytest.mark.parametrize(
    "path",
    [
        "/usr/local/lib/python3.12/site-packages/requests/api.py",
        "/usr/lib/python3/dist-packages/django/db/models/query.py",
        "/home/deploy/.local/lib/python3.11/site-packages/cms/models.py",
        "/usr/lib/python3.11/json/decoder.py",
        "/opt/venv/lib/python3.13t/asyncio/events.py",
        "C:\\Python311\\Lib\\json\\decoder.py",
        "C:\\app\\.venv\\Lib\\site-packages\\django\\core\\handlers\\base.py",
        "<frozen importlib._bootstrap>",
    ],
)
def test_installed_and_standard_library_paths_of_any_machine_are_libraries(path):
    assert is_library_path(path)
    assert not is_in_app(path)


@pytest.mark.parametrize(
    "path", ["/srv/shop/orders/views.py", "C:\\projects\\shop\\orders\\views.py", "/app/lib/x.py"]
)
def test_a_project_s_own_paths_are_in_app(path):
    assert not is_library_path(path)
    assert is_in_app(path)


def test_a_library_is_shown_from_its_package_even_in_a_virtualenv_inside_the_project():
    assert display_path(django.__file__) == "django/__init__.py"
    assert display_path("/tmp/x/site-packages/cms/models.py") == "cms/models.py"
