import pytest
from seed_depends_app import ConfigService


@pytest.mark.nest_mock(ConfigService, **{"get.return_value": "debug"})
def test_items_start_empty(nest_client):
    assert nest_client.get("/items").json() == []
