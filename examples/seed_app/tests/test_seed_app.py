"""Testing the seed article's app with nest-testing.

``WiredAppModule`` (every provider registered) is tested the way a user would: the real
module, with ``Logger`` swapped for a recording fake, and exact construction counts.
The article's own ``AppModule`` registers only ``Logger``; the last tests show that
nest-testing catches that (``ItemService`` is not a singleton) and that strict mode
refuses it at compile time.
"""

from collections.abc import Iterator

import pytest
from seed_app import AppModule, ConfigService, ItemService, Logger, WiredAppModule

from nest_testing import NestTestingError, Test, TestingModule

SEED_ITEMS = [{"item_name": "Foo"}, {"item_name": "Bar"}, {"item_name": "Baz"}]


class RecordingLog:
    """Stands in for the ``logging.Logger`` that ``Logger.log`` holds."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def info(self, msg: str, *args: object) -> None:
        self.messages.append(msg % args if args else msg)


class FakeLogger:
    """Replaces ``Logger``: same surface (``.log.info``), no config, records messages."""

    def __init__(self) -> None:
        self.log = RecordingLog()

    @property
    def messages(self) -> list[str]:
        return self.log.messages


@pytest.fixture
def module() -> Iterator[TestingModule]:
    with (
        Test.create_testing_module(imports=[WiredAppModule])
        .override_provider(Logger, FakeLogger)
        .compile()
    ) as module:
        yield module


def test_seed_routes_serve_the_in_memory_items(module: TestingModule) -> None:
    client = module.client

    assert client.get("/items").json() == SEED_ITEMS
    assert client.post("/items", json={"item_name": "Qux"}).json()[-1] == {"item_name": "Qux"}
    assert client.put("/items", json={"item_name": "Quux"}).json()[-1] == {"item_name": "Quux"}
    response = client.request("DELETE", "/items", json={"item_name": "Foo"})

    assert response.status_code == 200
    assert response.json() == [*SEED_ITEMS[1:], {"item_name": "Qux"}, {"item_name": "Quux"}]


def test_seed_item_service_holds_the_fake_logger(module: TestingModule) -> None:
    fake = module.get(Logger)
    service = module.get(ItemService)

    assert isinstance(fake, FakeLogger)
    assert service.logger is fake

    module.client.get("/items")
    module.client.get("/items")

    assert fake.messages == ["Endpoint called", "Endpoint called"]


def test_seed_controller_and_module_share_one_item_service(module: TestingModule) -> None:
    module.client.post("/items", json={"item_name": "Qux"})

    # The service the controller wrote through is the one module.get returns.
    assert module.get(ItemService).items[-1] == {"item_name": "Qux"}


def test_seed_twenty_requests_build_nothing_new(module: TestingModule) -> None:
    for i in range(10):
        assert module.client.get("/items").status_code == 200
        assert module.client.post("/items", json={"item_name": f"n{i}"}).status_code == 200

    module.assert_constructed(ItemService, times=1)
    module.assert_constructed(Logger, times=1)
    module.assert_singleton(Logger)
    module.assert_singleton(ItemService)
    assert module.constructions[ItemService] == 1
    fake = module.get(Logger)
    assert isinstance(fake, FakeLogger)
    assert len(fake.messages) == 10  # one per GET, all into the one fake


def test_seed_requests_construct_no_provider(module: TestingModule) -> None:
    with module.expect_constructions({ItemService: 0, Logger: 0}):
        for _ in range(5):
            module.client.get("/items")
        module.client.post("/items", json={"item_name": "Qux"})

    with module.track_constructions() as delta:
        module.client.get("/items")
    assert delta == {}


def test_seed_expect_constructions_reports_a_wrong_expectation(module: TestingModule) -> None:
    with (
        pytest.raises(AssertionError, match="ItemService"),
        module.expect_constructions({ItemService: 1}),
    ):
        module.client.get("/items")


def test_seed_wired_module_without_overrides_has_one_of_each() -> None:
    with Test.create_testing_module(imports=[WiredAppModule]).compile() as module:
        for _ in range(20):
            module.client.get("/items")

        for token in (ConfigService, Logger, ItemService):
            module.assert_singleton(token)
            module.assert_constructed(token, times=1)
        assert module.get(ItemService).logger.config_service is module.get(ConfigService)


def test_seed_wired_module_passes_strict_mode() -> None:
    with Test.create_testing_module(imports=[WiredAppModule]).strict().compile() as module:
        assert module.client.get("/items").json() == SEED_ITEMS


# The article's AppModule: providers=[Logger] only.


def test_seed_article_module_serves_requests_but_item_service_is_no_singleton() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        for _ in range(20):
            assert module.client.get("/items").json() == SEED_ITEMS

        module.assert_singleton(Logger)  # the one provider the article registered
        with pytest.raises(AssertionError, match="ItemService"):
            module.assert_singleton(ItemService)
        with pytest.raises(AssertionError, match="ConfigService"):
            module.assert_singleton(ConfigService)


def test_seed_article_module_is_refused_in_strict_mode() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).strict()

    with pytest.raises(NestTestingError) as excinfo:
        builder.compile().close()

    # Both classes the article left out of providers=[...] are named, so one run
    # tells the user everything to register.
    message = str(excinfo.value)
    assert "ItemService" in message
    assert "ConfigService" in message
