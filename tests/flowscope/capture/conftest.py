import pytest


@pytest.fixture
def shop(real_recorder, settings, catalogue, alice):
    """tests/shop_data.py's catalogue and alice, committed, with the real recorder on and a
    payment gateway that takes a little time."""
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    return catalogue
