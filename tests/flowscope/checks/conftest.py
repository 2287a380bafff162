import pytest
from django.core import checks


@pytest.fixture
def reported():
    """``reported(check_id)``: the messages of ``manage.py check`` with that id."""

    def reported(check_id, deploy=False):
        found = checks.run_checks(include_deployment_checks=deploy)
        return [message for message in found if message.id == check_id]

    return reported
