"""The README's example, kept here so that it runs in CI."""

from unittest.mock import Mock

from seed_app import ItemService, Logger, WiredAppModule

from nest_testing import Test


def test_items_are_served_and_nothing_is_built_per_request() -> None:
    fake_logger = Mock(spec=["log"])
    builder = Test.create_testing_module(imports=[WiredAppModule])
    builder.override_provider(Logger, fake_logger)
    with builder.compile() as module:
        with module.expect_constructions({ItemService: 0}):
            for _ in range(10):
                assert module.client.get("/items").status_code == 200
        module.assert_singleton(ItemService)  # built once; every consumer holds it
        assert module.get(ItemService).logger is fake_logger  # mypy: an ItemService
        assert fake_logger.log.info.call_count == 10
