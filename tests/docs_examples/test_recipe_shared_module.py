"""docs/recipes/sharing-a-module.md: one compiled module for every test in a file."""

from collections.abc import Iterator

import pytest
from seed_depends_app import AppModule, ConfigService, ItemService, Logger

from nest_testing import Test, TestingModule

SINGLETONS = (ConfigService, Logger, ItemService)


@pytest.fixture(scope="module")
def shared_module() -> Iterator[TestingModule]:
    # Compiled once for this file's tests, closed (shutdown hooks run) after the last one.
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        yield module


@pytest.fixture
def module(shared_module: TestingModule) -> Iterator[TestingModule]:
    # Per test: fail the test if it built a singleton again (what --nest-strict-singletons
    # checks for the plugin's own nest_app).
    with shared_module.track_constructions() as built:
        yield shared_module
    rebuilt = {token: n for token, n in built.items() if token in SINGLETONS}
    assert not rebuilt, f"singletons constructed again during this test: {rebuilt}"


def test_items_are_listed(module: TestingModule) -> None:
    assert [item["item_name"] for item in module.client.get("/items").json()][:3] == [
        "Foo",
        "Bar",
        "Baz",
    ]


def test_the_same_objects_serve_every_test(module: TestingModule) -> None:
    for token in SINGLETONS:
        module.assert_singleton(token)


def test_counts_per_test(module: TestingModule) -> None:
    with module.track_constructions() as delta:
        module.client.get("/items")
    assert delta == {}
