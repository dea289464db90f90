"""The extension seam: when a feature's hooks run in a testing module's life."""

import asyncio
from typing import Any

import pytest
from nest.core import Injectable, Module
from nest.core.pynest_application import PyNestApp
from nt_sample_app import AppModule

from nest_testing import LifecycleHookError, Test
from nest_testing._extensions import ModuleExtension


class Recording(ModuleExtension):
    def __init__(self, name: str, events: list[str], options: dict[str, Any] | None = None):
        self.name = name
        self.events = events
        self.options = options or {}
        self.loops: list[asyncio.AbstractEventLoop] = []

    def app_options(self) -> dict[str, Any]:
        return self.options

    async def start(self) -> None:
        self.loops.append(asyncio.get_running_loop())
        self.events.append(f"start {self.name}")

    def configure_app(self, app: PyNestApp) -> None:
        self.events.append(f"configure {self.name} routes={len(app.http_server.routes) > 4}")

    def finish_app(self, app: PyNestApp) -> None:
        self.events.append(f"finish {self.name} configured={hasattr(app, 'configured')}")

    async def stop(self) -> None:
        self.loops.append(asyncio.get_running_loop())
        self.events.append(f"stop {self.name}")


@Injectable
class Hooked:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        EVENTS.append("init hook")

    def on_application_shutdown(self, signal: str | None = None) -> None:
        EVENTS.append("shutdown hook")


EVENTS: list[str] = []


@Module(providers=[Hooked])
class HookedModule:
    pass


@pytest.fixture(autouse=True)
def _clear() -> Any:
    EVENTS.clear()
    yield
    EVENTS.clear()


@pytest.mark.parametrize("lazy", [False, True])
def test_hooks_run_in_order_on_the_module_loop(lazy: bool) -> None:
    first, second = Recording("a", EVENTS), Recording("b", EVENTS)
    builder = Test.create_testing_module(imports=[AppModule, HookedModule])
    builder._extend(first)._extend(second)
    builder.configure_app(lambda app: setattr(app, "configured", True))
    if lazy:
        builder.lazy()
    with builder.compile() as module:
        module.client.get("/items/")
        EVENTS.append("test")
    assert EVENTS == [
        "start a",
        "start b",
        "init hook",
        "configure a routes=True",
        "configure b routes=True",
        "finish a configured=True",
        "finish b configured=True",
        "test",
        "shutdown hook",
        "stop b",
        "stop a",
    ]
    assert len({*first.loops, *second.loops}) == 1  # the module's own loop


@pytest.mark.asyncio
async def test_hooks_run_on_the_test_loop_with_compile_async() -> None:
    extension = Recording("a", EVENTS)
    module = (
        await Test.create_testing_module(imports=[HookedModule])._extend(extension).compile_async()
    )
    await module.aclose()
    assert EVENTS == [
        "start a",
        "init hook",
        "configure a routes=False",
        "finish a configured=False",
        "shutdown hook",
        "stop a",
    ]
    assert extension.loops == [asyncio.get_running_loop()] * 2


def test_app_options_reach_fastapi_last_extension_wins() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder._extend(Recording("a", EVENTS, {"title": "A", "version": "1"}))
    builder._extend(Recording("b", EVENTS, {"title": "B"}))
    with builder.compile() as module:
        info = module.client.get("/openapi.json").json()["info"]
    assert info == {"title": "B", "version": "1"}


def test_started_extensions_stop_when_startup_fails() -> None:
    class Failing(Recording):
        async def start(self) -> None:
            raise RuntimeError("no database")

    @Injectable
    class Broken:
        def __init__(self) -> None:
            pass

        def on_module_init(self) -> None:
            raise RuntimeError("boom")

    @Module(providers=[Broken])
    class BrokenModule:
        pass

    builder = Test.create_testing_module(imports=[BrokenModule])._extend(Recording("a", EVENTS))
    with pytest.raises(LifecycleHookError, match="boom"):
        builder.compile()
    assert EVENTS == ["start a", "stop a"]

    EVENTS.clear()
    builder = Test.create_testing_module(imports=[HookedModule])
    builder._extend(Recording("a", EVENTS))._extend(Failing("b", EVENTS))
    with pytest.raises(Exception, match="no database"):
        builder.compile()
    assert EVENTS == ["start a", "stop a"]  # b never started; no provider was built
