"""Faults in user code: what still runs, and what the user is told."""

import threading
from typing import Any

import pytest
from nest.core import Injectable, Module

from nest_testing import LifecycleHookError, NestTestingError, ProviderConstructionError, Test

EVENTS: list[str] = []


def record(event: str) -> None:
    EVENTS.append(event)


@pytest.fixture(autouse=True)
def _events() -> Any:
    EVENTS.clear()
    yield
    EVENTS.clear()


class Hooks:
    """Records every lifecycle hook, under the class name."""

    def on_module_init(self) -> None:
        record(f"init {type(self).__name__}")

    def on_application_bootstrap(self) -> None:
        record(f"bootstrap {type(self).__name__}")

    def before_application_shutdown(self, signal: str | None = None) -> None:
        record(f"before {type(self).__name__}")

    def on_module_destroy(self) -> None:
        record(f"destroy {type(self).__name__}")

    def on_application_shutdown(self, signal: str | None = None) -> None:
        record(f"shutdown {type(self).__name__}")


@Injectable
class Database(Hooks):
    pass


@Injectable
class Cache(Hooks):
    pass


@Injectable
class Broken(Hooks):
    def on_module_init(self) -> None:
        record("init Broken")
        raise ConnectionError("broker unreachable")


@Module(providers=[Database, Cache], exports=[Database, Cache])
class InfraModule:
    pass


@Module(imports=[InfraModule], providers=[Broken])
class BrokenInitModule:
    pass


def test_failed_init_still_shuts_down_what_started() -> None:
    before = threading.active_count()
    builder = Test.create_testing_module(imports=[BrokenInitModule])
    with pytest.raises(LifecycleHookError) as info:
        builder.compile()
    assert info.value.path == ("BrokenInitModule", "Broken.on_module_init")
    assert isinstance(info.value.__cause__, ConnectionError)
    # InfraModule started (its init ran), so it is shut down; Broken never started.
    assert EVENTS == [
        "init Database",
        "init Cache",
        "init Broken",
        "before Database",
        "before Cache",
        "destroy Database",
        "destroy Cache",
        "shutdown Database",
        "shutdown Cache",
    ]
    assert threading.active_count() <= before + 1  # a worker may still be winding down
    with pytest.raises(NestTestingError, match="already compiled"):
        builder.compile()


@pytest.mark.asyncio
async def test_failed_init_on_the_tests_loop_shuts_down_too() -> None:
    with pytest.raises(LifecycleHookError):
        await Test.create_testing_module(imports=[BrokenInitModule]).compile_async()
    assert "shutdown Database" in EVENTS
    assert "shutdown Broken" not in EVENTS


@Injectable
class BadShutdown(Hooks):
    def on_module_destroy(self) -> None:
        record("destroy BadShutdown")
        raise RuntimeError("flush failed")

    def on_application_shutdown(self, signal: str | None = None) -> None:
        record("shutdown BadShutdown")
        raise OSError("socket already closed")


@Module(imports=[InfraModule], providers=[BadShutdown])
class BadShutdownModule:
    pass


def test_failing_shutdown_hooks_do_not_stop_the_others() -> None:
    module = Test.create_testing_module(imports=[BadShutdownModule]).compile()
    EVENTS.clear()
    with pytest.raises(LifecycleHookError) as info:
        module.close()
    message = str(info.value)
    assert "2 shutdown hooks raised (all hooks ran)" in message
    assert (
        "BadShutdownModule -> BadShutdown.on_module_destroy: RuntimeError('flush failed')"
        in message
    )
    assert "BadShutdown.on_application_shutdown: OSError('socket already closed')" in message
    for hook in ("before", "destroy", "shutdown"):
        for name in ("Database", "Cache", "BadShutdown"):
            assert f"{hook} {name}" in EVENTS
    module.close()  # closing again is a no-op: hooks ran once
    assert EVENTS.count("shutdown Database") == 1


@Injectable
class OneBadShutdown(Hooks):
    def on_application_shutdown(self, signal: str | None = None) -> None:
        record("shutdown OneBadShutdown")
        raise OSError("socket already closed")


@Module(imports=[InfraModule], providers=[OneBadShutdown])
class OneBadShutdownModule:
    pass


def test_one_failing_shutdown_hook_is_raised_as_itself() -> None:
    module = Test.create_testing_module(imports=[OneBadShutdownModule]).compile()
    with pytest.raises(LifecycleHookError) as info:
        module.close()
    assert info.value.path == ("OneBadShutdownModule", "OneBadShutdown.on_application_shutdown")
    assert isinstance(info.value.__cause__, OSError)
    assert "shutdown hooks raised" not in str(info.value)
    assert "shutdown Database" in EVENTS


def test_close_twice_and_context_manager_run_hooks_once() -> None:
    with Test.create_testing_module(imports=[InfraModule]).compile() as module:
        module.close()
        module.close()
    assert EVENTS.count("shutdown Database") == 1
    assert EVENTS.count("destroy Cache") == 1


def add_failing_startup_handler(app: Any) -> None:
    def run_migrations() -> None:
        raise RuntimeError("migrations missing")

    app.http_server.router.on_startup.append(run_migrations)


def test_failing_fastapi_startup_is_named_and_shuts_down() -> None:
    builder = Test.create_testing_module(imports=[InfraModule])
    builder.configure_app(add_failing_startup_handler)
    with pytest.raises(LifecycleHookError) as info:
        builder.compile()
    assert info.value.path == ("lifespan startup",)
    assert "RuntimeError('migrations missing')" in str(info.value)
    assert "shutdown Database" in EVENTS  # what started was shut down


@Injectable
class ExplodingConstructor:
    def __init__(self) -> None:
        raise RuntimeError("boom")


@Module(imports=[InfraModule], providers=[ExplodingConstructor])
class ExplodingModule:
    pass


def test_constructor_failure_leaves_no_thread_and_runs_no_hook() -> None:
    before = set(threading.enumerate())
    with pytest.raises(ProviderConstructionError, match=r"ExplodingConstructor: RuntimeError"):
        Test.create_testing_module(imports=[ExplodingModule]).compile()
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
    assert {t for t in threading.enumerate() if t.is_alive()} - before == set()
    # InfraModule's providers were initialised before ExplodingModule's resolution failed
    assert "init Database" in EVENTS
    assert "shutdown Database" in EVENTS


@Injectable
class Unannotated:
    def __init__(self, port) -> None:  # type: ignore[no-untyped-def]  # nothing to inject
        self.port = port


@Injectable
class NeedsUnannotated:
    def __init__(self, inner: Unannotated) -> None:
        self.inner = inner


@Module(providers=[NeedsUnannotated])  # Unannotated unregistered: the injector builds it
class UnannotatedModule:
    pass


@pytest.mark.parametrize("cache", [True, False], ids=["cache-on", "cache-off"])
def test_a_constructor_the_injector_cannot_call_reports_pythons_own_error(cache: bool) -> None:
    # The injector wraps the TypeError of calling it in its CallError; the user must see
    # Python's message (what is missing), not the injector's wrapper. (With the blueprint
    # cache off the injector's own ClassProvider calls it: the CallError path.)
    builder = Test.create_testing_module(imports=[UnannotatedModule]).use_blueprint_cache(cache)
    with pytest.raises(ProviderConstructionError) as info:
        builder.compile()
    message = str(info.value)
    assert message.startswith("UnannotatedModule -> NeedsUnannotated -> Unannotated: TypeError(")
    assert "missing 1 required positional argument: 'port'" in message
    assert "CallError" not in message
    assert type(info.value.__cause__) is TypeError
