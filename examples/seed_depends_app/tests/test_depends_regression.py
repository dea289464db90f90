"""The per-request construction regression, and the CI guard that catches it.

``GET /items/audit`` takes ``Depends(Logger)``: FastAPI builds a fresh ``Logger`` (and,
through its ``Depends(ConfigService)`` default, a fresh ``ConfigService``) on every
request, while the rest of the app shares the container's singleton. nest-testing counts
those constructions too, so ``assert_singleton(Logger)`` fails as soon as the route runs.
"""

from collections.abc import Iterator

import pytest
from seed_depends_app import AppModule, ConfigService, ItemService, Logger

from nest_testing import Test, TestingModule


@pytest.fixture
def module() -> Iterator[TestingModule]:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        yield module


def test_depends_route_builds_a_logger_per_request(module: TestingModule) -> None:
    assert module.constructions[Logger] == 1  # the container's singleton

    with module.track_constructions() as delta:
        responses = [module.client.get("/items/audit") for _ in range(3)]

    assert delta[Logger] == 3
    assert delta[ConfigService] == 3  # Logger's own Depends(ConfigService)
    assert ItemService not in delta
    assert module.constructions[Logger] == 4
    assert module.constructions.by_phase["request"][Logger] == 3
    # The route saw a Logger that is not the one ItemService holds.
    for response in responses:
        assert response.json() == {"items": 3, "shared_logger": False}


def test_depends_plain_routes_keep_logger_a_singleton(module: TestingModule) -> None:
    with module.expect_constructions({Logger: 0, ConfigService: 0, ItemService: 0}):
        for i in range(10):
            module.client.get("/items")
            module.client.post("/items", json={"item_name": f"n{i}"})

    module.assert_constructed(Logger, times=1)
    module.assert_singleton(Logger)
    module.assert_singleton(ConfigService)
    module.assert_singleton(ItemService)


def test_depends_route_fails_the_singleton_guard(module: TestingModule) -> None:
    module.client.get("/items")
    module.assert_singleton(Logger)  # still fine: only plain routes so far

    module.client.get("/items/audit")

    # What a CI run asserts after exercising the app: this is the regression.
    with pytest.raises(AssertionError, match="Logger"):
        module.assert_singleton(Logger)
    with pytest.raises(AssertionError, match="Logger"):
        module.assert_constructed(Logger, times=1)


def test_depends_route_fails_an_expectation_of_no_constructions(module: TestingModule) -> None:
    with pytest.raises(AssertionError, match="Logger"), module.expect_constructions({Logger: 0}):
        module.client.get("/items/audit")
