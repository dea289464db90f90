"""Lazy compile and cached blueprints: faster, and never at the cost of fresh instances."""

from typing import Any

import pytest
from fastapi import Depends
from nest.common.provider import Scope
from nest.core import Controller, Get, Injectable, Module
from nt_sample_app import (
    DB_URL,
    AppModule,
    ConfigService,
    ItemController,
    ItemService,
    Logger,
    Ticker,
)

from nest_testing import LifecycleHookError, Test
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


HOOKS: list[str] = []


class Recorder:
    """Records its startup and shutdown hooks under the class name."""

    def on_module_init(self) -> None:
        HOOKS.append(f"init {type(self).__name__}")

    def on_application_shutdown(self, signal: Any = None) -> None:
        HOOKS.append(f"shutdown {type(self).__name__}")


class Quiet:
    """No hooks of its own, but an instance attribute can still be one."""

    def __init__(self) -> None:
        self.on_application_shutdown = lambda signal=None: HOOKS.append("shutdown Quiet")


@Injectable
class Starter(Recorder):
    def __init__(self, quiet: Quiet) -> None:
        self.quiet = quiet


@Injectable
class Idle(Recorder):
    pass


class Connection(Recorder):
    pass


@Injectable
class Untouched:
    def __init__(self) -> None:
        HOOKS.append("built Untouched")


@Module(
    providers=[
        Quiet,
        Starter,
        Untouched,
        {"provide": "connection", "useValue": Connection()},
        {"provide": Idle, "useClass": Idle, "scope": Scope.TRANSIENT},
    ]
)
class HookedModule(Recorder):
    pass


def test_lazy_starts_hook_definers_with_what_they_need_and_stops_what_was_built() -> None:
    HOOKS.clear()
    with Test.create_testing_module(imports=[HookedModule]).lazy().compile() as module:
        # Starter defines a hook, so it was built at startup, and Quiet with it; a value
        # is built already; the module class defines hooks too. Idle is transient: PyNest
        # resolves it anew in each startup pass, as in an eager compile.
        startup = module.constructions.by_phase["startup"]
        assert startup == {Starter: 1, Quiet: 1, Idle: 2}
        assert sorted(HOOKS) == [
            "init Connection",
            "init HookedModule",
            "init Idle",
            "init Starter",
        ]
        HOOKS.clear()
    # At shutdown: the singletons that were built, whatever defines the hook (Quiet's is
    # an instance attribute); not the transient Idle; never Untouched, which nobody
    # asked for.
    assert sorted(HOOKS) == [
        "shutdown Connection",
        "shutdown HookedModule",
        "shutdown Quiet",
        "shutdown Starter",
    ]
    assert Untouched not in module.constructions


@Module(providers=[Untouched, {"provide": "connection", "useValue": Connection()}])
class ValueOnlyModule:
    pass


def test_lazy_stops_a_value_with_hooks_where_no_class_was_built() -> None:
    HOOKS.clear()
    with Test.create_testing_module(imports=[ValueOnlyModule]).lazy().compile():
        assert HOOKS == ["init Connection"]
    assert HOOKS == ["init Connection", "shutdown Connection"]  # and Untouched never built


@Injectable
class LateHook(Recorder):
    pass


@Module(providers=[LateHook])
class LateModule:
    pass


@Module(imports=[LateModule], providers=[Untouched])
class LateRootModule:
    pass


def test_lazy_shutdown_runs_hooks_of_singletons_built_after_startup() -> None:
    HOOKS.clear()
    module = Test.create_testing_module(imports=[LateRootModule]).lazy().compile()
    assert HOOKS == ["init LateHook"]
    module.get(Untouched)  # no hook, built on request: its module has something to stop
    HOOKS.clear()
    module.close()
    assert HOOKS == ["shutdown LateHook"]


@Injectable
class AuditTrail:
    pass


@Controller("/audited")
class AuditedController:
    @Get("/")
    def get(self, trail: AuditTrail = Depends(AuditTrail)) -> dict[str, bool]:
        return {"ok": True}


@Module(controllers=[AuditedController], providers=[AuditTrail])
class AuditedModule:
    pass


def test_lazy_shutdown_builds_nothing_a_depends_built_elsewhere() -> None:
    module = Test.create_testing_module(imports=[AuditedModule]).lazy().compile()
    assert module.client.get("/audited/").json() == {"ok": True}
    module.close()
    # FastAPI built AuditTrail for the request; the container never did, so its
    # singleton is not built at shutdown just to be asked for hooks
    assert module.constructions.by_phase["request"][AuditTrail] == 1
    assert module.constructions.by_phase["shutdown"] == {}


@Injectable
class Started(Recorder):
    pass


@Injectable
class FailsToStart(Recorder):
    def on_module_init(self) -> None:
        HOOKS.append("init FailsToStart")
        raise ConnectionError("broker unreachable")


@Module(providers=[Started], exports=[Started])
class StartedModule:
    pass


@Module(imports=[StartedModule], providers=[FailsToStart])
class FailingStartModule:
    pass


@pytest.mark.parametrize("lazy", [False, True])
def test_a_failed_startup_shuts_down_what_started(lazy: bool) -> None:
    HOOKS.clear()
    builder = Test.create_testing_module(imports=[FailingStartModule])
    with pytest.raises(LifecycleHookError, match="broker unreachable"):
        (builder.lazy() if lazy else builder).compile()
    # Started's init ran, so it is shut down; FailsToStart never started
    assert HOOKS == ["init Started", "init FailsToStart", "shutdown Started"]


@Injectable
class Clock:
    pass


@Module(providers=[Clock], exports=[Clock])
class ClassClockModule:
    pass


@Module(providers=[{"provide": Clock, "useFactory": lambda: "factory clock"}], exports=[Clock])
class FactoryClockModule:
    pass


@pytest.mark.parametrize("lazy", [False, True])
def test_a_token_bound_by_a_class_then_a_factory_serves_the_factorys_value(lazy: bool) -> None:
    builder = Test.create_testing_module(imports=[ClassClockModule, FactoryClockModule])
    with (builder.lazy() if lazy else builder).compile() as module:
        assert module.get(Clock) == "factory clock"  # the later binding wins, as in PyNest


@pytest.mark.parametrize("cache", [True, False])
def test_lazy_with_and_without_the_blueprint_cache(cache: bool) -> None:
    BLUEPRINTS.clear()
    for _ in range(2):
        builder = Test.create_testing_module(imports=[AppModule]).use_blueprint_cache(cache)
        with builder.lazy().compile() as module:
            assert module.get(ItemService).all() == ["apple", "pear"]
            assert module.constructions[ItemService] == 1
            assert module.client.get("/items").json() == ["apple", "pear"]
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == ((1, 1) if cache else (0, 0))


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
    with Test.create_testing_module(imports=[AppModule]).use_blueprint_cache().compile() as first:
        first_logger = first.get(Logger)
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == (0, 1)
    with Test.create_testing_module(imports=[AppModule]).use_blueprint_cache().compile() as second:
        assert second.get(Logger) is not first_logger
        assert second.constructions[Logger] == 1
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == (1, 1)
    builder = Test.create_testing_module(imports=[AppModule]).use_blueprint_cache(False)
    with builder.compile():
        pass
    assert (BLUEPRINTS.hits, BLUEPRINTS.misses) == (1, 1)  # not consulted


def test_a_different_graph_is_a_different_blueprint() -> None:
    BLUEPRINTS.clear()
    with Test.create_testing_module(imports=[AppModule]).use_blueprint_cache().compile():
        pass

    class OtherLogger:  # another class: other constructor annotations to check
        def log(self, line: str) -> None:
            pass

    builder = Test.create_testing_module(imports=[AppModule]).use_blueprint_cache()
    builder.override_provider(Logger, OtherLogger)
    with builder.compile():
        pass
    assert BLUEPRINTS.misses == 2


@Injectable
class Extra:
    pass


def _compiled(module: Any, module_class: type) -> Any:
    ref = module._container.topology.ref_of(module_class)
    assert ref is not None
    return ref.compiled


def test_a_kept_compile_is_reused_until_the_module_class_changes() -> None:
    @Module(providers=[Logger], exports=[Logger])
    class LoggingModule:
        pass

    def compile_it() -> Any:
        builder = Test.create_testing_module(imports=[LoggingModule])
        return builder.use_blueprint_cache(True).compile()

    with compile_it() as first:
        kept = _compiled(first, LoggingModule)
        first_logger = first.get(Logger)
    with compile_it() as second:
        assert _compiled(second, LoggingModule) is kept
        # the token PyNest's factory makes in this container is the kept one's
        assert second._container.module_token_factory.create(LoggingModule) == kept.token
        assert second.get(Logger) is not first_logger  # instances are always fresh
    LoggingModule.providers.append(Extra)  # type: ignore[attr-defined]
    with compile_it() as third:
        assert _compiled(third, LoggingModule) is not kept
        assert isinstance(third.get(Extra), Extra)
    LoggingModule.providers = [Logger]  # type: ignore[attr-defined]
    with compile_it() as fourth:
        assert Extra not in fourth._container.topology.known_tokens


def test_values_factories_and_the_cache_off_are_compiled_every_time() -> None:
    @Module(providers=[{"provide": "url", "useValue": "sqlite://"}], exports=["url"])
    class ValueModule:
        pass

    @Module(providers=[Logger])
    class ClassModule:
        pass

    def compile_it(cache: bool) -> Any:
        builder = Test.create_testing_module(imports=[ValueModule, ClassModule])
        return builder.use_blueprint_cache(cache).compile()

    with compile_it(True) as first, compile_it(True) as second:
        # the cache holds no value of a test's making
        assert _compiled(first, ValueModule) is not _compiled(second, ValueModule)
        assert second.get("url") == "sqlite://"
        assert _compiled(first, ClassModule) is _compiled(second, ClassModule)
    with compile_it(False) as cold:
        assert _compiled(cold, ClassModule) is not _compiled(first, ClassModule)


def test_overrides_never_reach_a_kept_compile() -> None:
    class FakeLogger:
        def log(self, line: str) -> None:
            pass

    def builder() -> Any:
        return Test.create_testing_module(imports=[AppModule]).use_blueprint_cache(True)

    with builder().compile():
        pass
    with builder().override_provider(Logger, FakeLogger).compile() as overridden:
        assert isinstance(overridden.get(Logger), FakeLogger)
    with builder().compile() as plain:
        assert type(plain.get(Logger)) is Logger
