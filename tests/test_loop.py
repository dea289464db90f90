"""One event loop per testing module: startup hooks, requests and shutdown share it."""

import asyncio
import threading

import pytest
from nt_sample_app import AppModule, ItemService, Logger, Ticker

from nest_testing import Test, UsageError


def test_requests_run_on_the_loop_that_ran_on_module_init() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        body = module.client.get("/loop").json()
        assert body == {"same_loop": True, "task_alive": True}
        ticker = module.get(Ticker)
        assert ticker.events == ["init"]
    assert ticker.events == ["init", "shutdown"]
    assert ticker.task is not None
    assert ticker.task.cancelled()


def test_shutdown_hooks_run_once_whatever_closes_the_module() -> None:
    module = Test.create_testing_module(imports=[AppModule]).compile()
    ticker = module.get(Ticker)
    module.close()
    module.close()
    with module:
        pass
    assert ticker.events == ["init", "shutdown"]


def test_close_leaves_no_thread_behind() -> None:
    before = set(threading.enumerate())
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        module.client.get("/items")
        assert len(set(threading.enumerate()) - before) >= 1  # the module's loop thread
    # Worker threads stop when the loop's root task ends, a moment after close() returns.
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
    assert {t for t in threading.enumerate() if t.is_alive()} - before == set()


@pytest.mark.asyncio
async def test_sync_module_serves_an_async_client_on_its_own_loop() -> None:
    module = Test.create_testing_module(imports=[AppModule]).compile()
    try:
        async with module.async_client() as client:
            body = (await client.get("/loop")).json()
        assert body == {"same_loop": True, "task_alive": True}
        assert module.get(Ticker).init_loop is not asyncio.get_running_loop()
    finally:
        await module.aclose()
    assert module.get.__self__ is module  # still the same object after close


@pytest.mark.asyncio
async def test_async_module_lives_on_the_tests_loop() -> None:
    module = await Test.create_testing_module(imports=[AppModule]).compile_async()
    async with module:
        ticker = module.get(Ticker)
        assert ticker.init_loop is asyncio.get_running_loop()
        async with module.async_client() as client:
            assert (await client.get("/loop")).json() == {"same_loop": True, "task_alive": True}
            assert (await client.get("/items")).json() == ["apple", "pear"]
        module.assert_singleton(Logger)
        module.assert_constructed(ItemService, times=1)
    assert ticker.events == ["init", "shutdown"]


@pytest.mark.asyncio
async def test_async_module_refuses_the_blocking_client_and_sync_close() -> None:
    async with await Test.create_testing_module(imports=[AppModule]).compile_async() as module:
        with pytest.raises(UsageError, match="async_client"):
            _ = module.client
        with pytest.raises(UsageError, match="aclose"):
            module.close()


def test_async_module_refuses_another_loop() -> None:
    async def build() -> object:
        return await Test.create_testing_module(imports=[AppModule]).compile_async()

    loop = asyncio.new_event_loop()
    try:
        module = loop.run_until_complete(build())

        async def use_elsewhere() -> None:
            async with module.async_client():  # type: ignore[attr-defined]
                pass

        with pytest.raises(UsageError, match="event loop the module was compiled on"):
            asyncio.run(use_elsewhere())
        loop.run_until_complete(module.aclose())  # type: ignore[attr-defined]
    finally:
        loop.close()


@pytest.mark.asyncio
async def test_aclose_of_a_compiled_module_runs_its_shutdown_hooks() -> None:
    module = Test.create_testing_module(imports=[AppModule]).compile()
    ticker = module.get(Ticker)
    await module.aclose()
    assert ticker.events == ["init", "shutdown"]
    with pytest.raises(UsageError, match="closed"):
        module.get(Ticker)


@pytest.mark.asyncio
async def test_lazy_async_module_runs_its_apps_lifespan_and_shutdown_hooks() -> None:
    module = await Test.create_testing_module(imports=[AppModule]).lazy().compile_async()
    async with module:
        for _ in range(2):  # the lifespan starts with the first client only
            async with module.async_client() as client:
                body = (await client.get("/loop")).json()
                assert body == {"same_loop": True, "task_alive": True}
        ticker = module.get(Ticker)
        assert ticker.events == ["init"]
    assert ticker.events == ["init", "shutdown"]


@pytest.mark.asyncio
@pytest.mark.parametrize("app", ["never built", "built, never served"])
async def test_a_lazy_async_module_whose_app_never_served_runs_its_shutdown_hooks(
    app: str,
) -> None:
    # The app's lifespan runs the shutdown hooks; a module whose lifespan never started
    # (no async_client) runs them itself, whether or not something looked at its app.
    async with (
        await Test.create_testing_module(imports=[AppModule]).lazy().compile_async() as (module)
    ):
        ticker = module.get(Ticker)
        if app == "built, never served":
            assert module.http_server.title == "FastAPI"
        assert ticker.events == ["init"]
    assert ticker.events == ["init", "shutdown"]
