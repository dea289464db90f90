"""``nest_app``, ``nest_client`` and ``nest_builder``: the configured app, one fresh
testing module per test, closed at teardown."""

from seed_depends_app import ConfigService, ItemService, Logger
from starlette.testclient import TestClient

from nest_testing import TestingModule  # for typing only

SEED_ITEMS = [{"item_name": "Foo"}, {"item_name": "Bar"}, {"item_name": "Baz"}]


def test_items_are_served(nest_client: TestClient) -> None:
    response = nest_client.get("/items")
    assert response.status_code == 200
    assert response.json() == SEED_ITEMS


def test_nothing_is_built_per_request(nest_app: TestingModule, nest_client: TestClient) -> None:
    with nest_app.expect_constructions({ConfigService: 0, Logger: 0, ItemService: 0}):
        for i in range(5):
            nest_client.post("/items", json={"item_name": f"n{i}"})
            nest_client.get("/items")
    for token in (ConfigService, Logger, ItemService):
        nest_app.assert_singleton(token)


def test_every_test_gets_a_fresh_app(nest_client: TestClient) -> None:
    # Other tests post items; none of them shows up here, in any order.
    nest_client.post("/items", json={"item_name": "Qux"})
    assert nest_client.get("/items").json() == [*SEED_ITEMS, {"item_name": "Qux"}]


def test_conftest_spy_records_every_call(nest_app: TestingModule, nest_client: TestClient) -> None:
    nest_client.get("/items")
    nest_client.post("/items", json={"item_name": "Qux"})
    spy = nest_app.spies[ItemService]  # added by the nest_builder fixture in conftest.py
    spy.get.assert_called_once_with()
    spy.post.assert_called_once_with({"item_name": "Qux"})


def test_providers_are_the_real_ones(nest_app: TestingModule) -> None:
    logger = nest_app.get(Logger)
    assert type(logger) is Logger
    assert logger.config_service is nest_app.get(ConfigService)
