"""The code of docs/clients.md and docs/constructions.md, run: each block there is
quoted from this file."""

import pytest
from seed_depends_app import AppModule, ItemService, Logger

from nest_testing import Test, TestingModuleBuilder


@pytest.fixture
def module_builder() -> TestingModuleBuilder:
    return Test.create_testing_module(imports=[AppModule])


def test_sync(module_builder: TestingModuleBuilder) -> None:
    with module_builder.compile() as module:
        assert module.client.get("/items").status_code == 200


@pytest.mark.asyncio
async def test_async() -> None:
    async with (
        await Test.create_testing_module(imports=[AppModule]).compile_async() as module,
        module.async_client() as client,
    ):
        assert (await client.get("/items")).status_code == 200


def test_counts_and_the_assertions(module_builder: TestingModuleBuilder) -> None:
    with module_builder.compile() as module:
        # fmt: off
        assert module.constructions[Logger] == 1            # Mapping[token, int], live
        assert module.constructions.by_phase["startup"][Logger] == 1
        module.assert_constructed(Logger, times=1)
        module.assert_singleton(Logger)
        with module.expect_constructions({ItemService: 0, Logger: 3}):
            for _ in range(3):
                module.client.get("/items/audit")           # Depends(Logger): one per request
        with module.track_constructions() as delta:
            module.client.get("/items")
        assert delta == {}                                  # nothing built serving that request
        # fmt: on
