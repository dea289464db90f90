"""One testing module shared by every test in this file: compiled once, judged per test."""

from collections.abc import Iterator

import pytest
from seed_depends_app import AppModule, ItemService, Logger
from starlette.testclient import TestClient

from nest_testing import Test, TestingModule


@pytest.fixture(scope="module")
def nest_app() -> Iterator[TestingModule]:
    # One module for every test in this file: compiled once, closed after the last one.
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        yield module


def test_items_are_served(nest_client: TestClient) -> None:
    assert nest_client.get("/items").status_code == 200


def test_the_same_module_serves_every_test(nest_app: TestingModule) -> None:
    # Whichever test ran first built them; nobody built them again.
    assert nest_app.constructions[ItemService] == 1
    nest_app.assert_singleton(Logger)
