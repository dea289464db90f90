"""Lazy compile and cached blueprints: faster, and never at the cost of fresh instances."""

from typing import Any

import pytest
from nest.core import Injectable, Module
from nt_sample_app import (
    DB_URL,
    AppModule,
    ConfigService,
    ItemController,
    ItemService,
    Logger,
    Ticker,
)

from nest_testing import Test
from nest_testing._blueprints import BLUEPRINTS


def test_lazy_builds_only_what_is_asked_for() -> None:
    with Test.create_testing_module(imports=[AppModule]).lazy().compile() as module:
        # Ticker defines on_module_init: its hook ran; nothing else was built, because
        # nothing else defines a hook, except the app's factory (PyNest runs factories
        # while building the container) and what it injects.
        assert dict(module.constructions) == {Ticker: 1, ConfigService: 1, DB_URL: 1}
        service = module.get(ItemService)
        assert module.constructions[ItemService] == 1
        assert module.constructions[Logger] == 1
        assert ItemController not in module.constructions  # no HTTP app yet
        assert module.client.get("/items").json() == ["apple", "pear"]  # built on first use
        assert module.get(ItemController).items is service
        module.assert_singleton(ItemService)
        module.assert_singleton(Logger)
        assert module.client.get("/loop").json() == {"same_loop": True, "task_alive": True}
        ticker = module.get(Ticker)
    assert ticker.events == ["init", "shutdown"]


SHUTDOWNS: list[str] = []


@Injectable
class Pool:
    def on_application_shutdown(self, signal: Any = None) -> None:
        SHUTDOWNS.append("pool")


@Injectable
class UsesPool:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


@Injectable
class NeverUsed:
    def __init__(self) -> None:
        raise AssertionError("a lazy module must not build what nobody asks for")


@Module(providers=[Pool, UsesPool, NeverUsed])
class PoolModule:
    pass


def test_lazy_shuts_down_what_was_built_and_never_builds_the_rest() -> None:
    SHUTDOWNS.clear()
    with Test.create_testing_module(imports=[PoolModule]).lazy().compile() as module:
        # Pool defines a hook, so it started; NeverUsed was never built
        assert module.get(UsesPool).pool is module.get(Pool)
        assert NeverUsed not in module.constructions
    assert SHUTDOWNS == ["pool"]


@pytest.mark.asyncio
async def test_lazy_async_module_starts_its_app_with_the_first_client() -> None:
    module = await Test.create_testing_module(imports=[AppModule]).lazy().compile_async()
    async with module:
        assert ItemController not in module.constructions
        async with module.async_client() as client:
            assert (await client.get("/items")).json() == ["apple", "pear"]
        assert module.constructions[ItemController] == 1


def test_repeat_compiles_reuse_the_validation_but_never_instances() -> None:
    BLUEPRINTS.clear()
    with Test.create_testing_module(imports=[AppModule]).compile() as first:
        first_logger = first.get(Logger)
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == (0, 1)
    with Test.create_testing_module(imports=[AppModule]).compile() as second:
        assert second.get(Logger) is not first_logger
        assert second.constructions[Logger] == 1
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == (1, 1)
    builder = Test.create_testing_module(imports=[AppModule]).use_blueprint_cache(False)
    with builder.compile():
        pass
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == (1, 1)  # not consulted


def test_a_different_graph_is_a_different_blueprint() -> None:
    BLUEPRINTS.clear()
    with Test.create_testing_module(imports=[AppModule]).compile():
        pass

    class OtherLogger:  # another class: other constructor annotations to check
        def log(self, line: str) -> None:
            pass

    builder = Test.create_testing_module(imports=[AppModule]).override_provider(
        Logger, OtherLogger
    )
    with builder.compile():
        pass
    assert BLUEPRINTS.misses == 2
