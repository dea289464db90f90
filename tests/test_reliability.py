"""Hooks that hang or raise BaseException, and modules left open: nothing hangs, what
started is shut down, and Ctrl-C is Ctrl-C."""

import asyncio
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from nest.core import Injectable, Module

import nest_testing._runtime
from nest_testing import LifecycleHookError, Test, UsageError

EVENTS: list[str] = []
RELEASE = threading.Event()


@pytest.fixture(autouse=True)
def _events() -> Any:
    EVENTS.clear()
    RELEASE.clear()
    yield
    RELEASE.set()  # a blocked hook's thread finishes, whatever the test did
    EVENTS.clear()


@Injectable
class Started:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        EVENTS.append("init Started")

    def on_application_shutdown(self, signal: str | None = None) -> None:
        EVENTS.append("shutdown Started")


@Injectable
class HangsAsync:
    def __init__(self) -> None:
        pass

    async def on_module_init(self) -> None:
        EVENTS.append("init HangsAsync")
        await asyncio.Event().wait()


@Injectable
class BlocksTheLoop:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        EVENTS.append("init BlocksTheLoop")
        RELEASE.wait(30)


@Injectable
class HangsAtShutdown:
    def __init__(self) -> None:
        pass

    async def on_application_shutdown(self, signal: str | None = None) -> None:
        EVENTS.append("shutdown HangsAtShutdown")
        await asyncio.Event().wait()


@Injectable
class Interrupts:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        raise KeyboardInterrupt


@Injectable
class ExitsAtShutdown:
    def __init__(self) -> None:
        pass

    def on_application_shutdown(self, signal: str | None = None) -> None:
        EVENTS.append("shutdown ExitsAtShutdown")
        raise SystemExit(3)


def _module(*providers: type) -> type:
    @Module(providers=list(providers))
    class HookModule:
        pass

    return HookModule


@pytest.fixture
def watchdog_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test of an async hook's own (0.2 s) timeout: the watchdog for hooks that block
    the loop (at 0.2 s + 1 s grace) could beat it on a starved machine. It looks only after
    a poll, here 10 s: out of the way unless the timeout is broken (then it fires, and the
    test sees its message, not the timeout's)."""
    monkeypatch.setattr(nest_testing._runtime, "_POLL_SECONDS", 10.0)


@pytest.mark.usefixtures("watchdog_late")
def test_an_async_hook_that_never_returns_times_out_and_what_started_shuts_down() -> None:
    builder = Test.create_testing_module(imports=[_module(Started), _module(HangsAsync)])
    started = time.monotonic()
    with pytest.raises(LifecycleHookError) as caught:
        builder.hook_timeout(0.2).compile()
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "HangsAsync.on_module_init: did not return within 0.2 s" in message
    assert "builder.hook_timeout(seconds)" in message
    assert caught.value.path[-1] == ["HookModule", "HangsAsync.on_module_init"][-1]
    assert EVENTS == ["init Started", "init HangsAsync", "shutdown Started"]


def test_a_hook_that_blocks_the_loop_fails_compile_instead_of_hanging() -> None:
    builder = Test.create_testing_module(imports=[_module(BlocksTheLoop)]).hook_timeout(0.2)
    started = time.monotonic()
    with pytest.raises(LifecycleHookError, match="blocks the module's event loop") as caught:
        builder.compile()
    assert time.monotonic() - started < 10
    assert "BlocksTheLoop.on_module_init" in str(caught.value)
    assert "anyio.to_thread.run_sync" in str(caught.value)


@pytest.mark.usefixtures("watchdog_late")
def test_a_shutdown_hook_that_never_returns_times_out_and_the_others_run() -> None:
    builder = Test.create_testing_module(imports=[_module(Started, HangsAtShutdown)])
    module = builder.hook_timeout(0.2).compile()
    timed_out = r"HangsAtShutdown.on_application_shutdown: did not return within 0.2 s"
    with pytest.raises(LifecycleHookError, match=timed_out):
        module.close()
    assert "shutdown Started" in EVENTS
    module.close()  # closed once: nothing runs again


@Injectable
class SlowToLeave:
    def __init__(self) -> None:
        pass

    async def before_application_shutdown(self, signal: str | None = None) -> None:
        await asyncio.sleep(0.15)  # the shutdown's first pass: hooks after it start later


def test_a_hanging_shutdown_hook_is_named_also_when_earlier_hooks_took_time() -> None:
    # The lifespan's shutdown started before the hanging hook's own timeout did (here
    # 0.15 s before): its limit backs the hook timeout up, never beats it to the error.
    builder = Test.create_testing_module(imports=[_module(SlowToLeave, HangsAtShutdown)])
    module = builder.hook_timeout(0.2).compile()
    timed_out = r"HangsAtShutdown.on_application_shutdown: did not return within 0.2 s"
    with pytest.raises(LifecycleHookError, match=timed_out):
        module.close()


@Injectable
class SwallowsCancellation:
    def __init__(self) -> None:
        pass

    async def on_application_shutdown(self, signal: str | None = None) -> None:
        swallowed = 0
        while swallowed < 5:  # catches the timeout's cancellations, then returns late
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                swallowed += 1
        EVENTS.append("returned late")


def _outcome_within(seconds: float, call: Any, *args: Any) -> BaseException | None:
    """`call(*args)` in a thread: what it raised (None if nothing); a hang fails the
    test instead of hanging the suite."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call(*args)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(seconds)
    assert outcome, f"{getattr(call, '__name__', call)}() did not return within {seconds} s"
    return outcome[0]


@pytest.mark.usefixtures("watchdog_late")
def test_a_shutdown_hook_that_swallows_its_cancellation_still_times_out() -> None:
    # It used to hang close() forever: the lifespan's own shutdown timeout raised a
    # TimeoutError on the loop, which the wait for the loop took for its poll timeout.
    builder = Test.create_testing_module(imports=[_module(Started, SwallowsCancellation)])
    module = builder.hook_timeout(0.2).compile()
    failure = _outcome_within(5, module.close)
    assert isinstance(failure, LifecycleHookError)
    assert "did not return within 0.2 s" in str(failure)
    assert "SwallowsCancellation.on_application_shutdown" in str(failure)
    assert "shutdown Started" in EVENTS


def test_a_loop_task_that_raised_timeout_error_is_done_not_still_running() -> None:
    # TimeoutError is the builtin one since 3.11: the wait for the loop polls with
    # future.result(timeout=...), and a task whose *result* is a TimeoutError must be
    # raised at once, not taken for "not done yet".
    with Test.create_testing_module(imports=[_module(Started)]).compile() as module:
        runtime = module._runtime

        async def raises() -> None:
            raise TimeoutError("the app's own")

        failure = _outcome_within(5, runtime._run, raises)
        assert isinstance(failure, TimeoutError)
        assert str(failure) == "the app's own"


def test_no_timeout_waits_for_a_slow_hook() -> None:
    @Injectable
    class Slow:
        def __init__(self) -> None:
            pass

        async def on_module_init(self) -> None:
            await asyncio.sleep(0.3)
            EVENTS.append("slow done")

    with Test.create_testing_module(imports=[_module(Slow)]).hook_timeout(None).compile():
        assert EVENTS == ["slow done"]


@pytest.mark.parametrize("bad", [0, -1, "5", True])
def test_hook_timeout_takes_positive_seconds_or_none(bad: Any) -> None:
    with pytest.raises(UsageError, match="hook_timeout\\(\\) takes a number of seconds > 0"):
        Test.create_testing_module().hook_timeout(bad)


def test_keyboard_interrupt_in_a_hook_is_itself_after_what_started_shut_down() -> None:
    builder = Test.create_testing_module(imports=[_module(Started), _module(Interrupts)])
    with pytest.raises(KeyboardInterrupt):
        builder.compile()
    assert EVENTS == ["init Started", "shutdown Started"]


@Injectable
class InterruptsWithShutdown:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        raise KeyboardInterrupt

    def on_application_shutdown(self, signal: str | None = None) -> None:
        EVENTS.append("shutdown InterruptsWithShutdown")


def test_a_provider_interrupted_in_its_init_gets_no_shutdown_hook() -> None:
    # It never finished starting: as with a failing on_module_init, only what started
    # is shut down.
    builder = Test.create_testing_module(
        imports=[_module(Started), _module(InterruptsWithShutdown)]
    )
    with pytest.raises(KeyboardInterrupt):
        builder.compile()
    assert EVENTS == ["init Started", "shutdown Started"]


@pytest.mark.asyncio
async def test_keyboard_interrupt_on_the_tests_loop_is_itself_too() -> None:
    builder = Test.create_testing_module(imports=[_module(Started), _module(Interrupts)])
    with pytest.raises(KeyboardInterrupt):
        await builder.compile_async()
    assert EVENTS == ["init Started", "shutdown Started"]


def test_system_exit_in_a_shutdown_hook_is_raised_after_every_shutdown_hook_ran() -> None:
    module = Test.create_testing_module(imports=[_module(Started, ExitsAtShutdown)]).compile()
    with pytest.raises(SystemExit) as caught:
        module.close()
    assert caught.value.code == 3
    assert sorted(EVENTS) == ["init Started", "shutdown ExitsAtShutdown", "shutdown Started"]


@pytest.mark.asyncio
async def test_cancelling_a_compile_is_a_cancellation_not_a_failing_hook() -> None:
    task = asyncio.ensure_future(
        Test.create_testing_module(imports=[_module(HangsAsync)]).compile_async()
    )
    while "init HangsAsync" not in EVENTS:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


LEFT_OPEN = """
import sys
sys.path.insert(0, {tests!r})
from nest.core import Injectable, Module
from nt_sample_app import AppModule
from nest_testing import Test

@Injectable
class Goodbye:
    def __init__(self) -> None:
        pass

    def on_application_shutdown(self, signal=None) -> None:
        print("shutdown hook ran", flush=True)

@Module(providers=[Goodbye])
class GoodbyeModule:
    pass

builder = Test.create_testing_module(imports=[AppModule, GoodbyeModule])
{body}
print("end of script", flush=True)
"""


@pytest.mark.parametrize(
    "body",
    [
        "module = builder.lazy().compile()",
        "module = builder.compile()\nmodule.client.get('/items')",
        "builder.lazy().compile()  # dropped unused",
    ],
    ids=["lazy", "eager", "lazy-dropped"],
)
def test_a_module_left_open_is_closed_at_exit_and_the_process_exits(
    tmp_path: Path, body: str
) -> None:
    script = tmp_path / "left_open.py"
    tests = str(Path(__file__).parent)
    script.write_text(LEFT_OPEN.format(tests=tests, body=body), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    # closed at exit: its shutdown hooks ran (lazy mode builds providers that define hooks)
    assert done.stdout.splitlines() == ["end of script", "shutdown hook ran"]


def test_a_lazy_module_whose_app_fails_to_build_does_not_hang_the_exit(tmp_path: Path) -> None:
    script = tmp_path / "broken_app.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(Path(__file__).parent)!r})
            from nt_sample_app import AppModule
            from nest_testing import AppConfigurationError, Test

            def boom(app):
                raise RuntimeError("app cannot be built")

            module = Test.create_testing_module(imports=[AppModule]).lazy().configure_app(boom)
            module = module.compile()
            try:
                module.client
            except AppConfigurationError as exc:
                print("raised", exc.__cause__, flush=True)
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "raised app cannot be built" in done.stdout
