import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from flowscope.analysis import rollup_hours


@pytest.fixture(autouse=True)
def _no_kept_rollup_hours():
    """Each test's store starts empty, so no rollup hour a test kept may outlive it."""
    rollup_hours.forget()


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("ops", password="x", is_staff=True)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def customer_client(db):
    return client_for(get_user_model().objects.create_user("customer", password="x"))


@pytest.fixture
def anonymous_client():
    return client_for()
