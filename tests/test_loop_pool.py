"""One loop thread lent to testing modules in turn: each module's leftovers end with it,
and a loop that is not clean, or never handed back, is not lent again."""

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from nest.core import Injectable, Module
from nt_sample_app import AppModule, Ticker

from nest_testing import LifecycleHookError, Test
from nest_testing._loop_pool import LoopPool, lending
from nest_testing._loop_thread import LoopThread

pytest_plugins = ["pytester"]


@pytest.fixture
def pool() -> Iterator[LoopPool]:
    pool = LoopPool()
    yield pool
    pool.close()


def _thread_of(view: Any) -> threading.Thread:
    async def current() -> threading.Thread:
        return threading.current_thread()

    thread: threading.Thread = view.run(current)
    return thread


def test_a_clean_loop_is_lent_again(pool: LoopPool) -> None:
    first = pool.borrow(lambda future: future.result())
    thread = _thread_of(first)
    first.stop()
    second = pool.borrow(lambda future: future.result())
    assert _thread_of(second) is thread
    second.stop()
    pool.close()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_tasks_a_borrower_left_are_cancelled_when_it_hands_the_loop_back(
    pool: LoopPool,
) -> None:
    view = pool.borrow(lambda future: future.result())
    box: dict[str, asyncio.Task[None]] = {}

    async def leave_a_task() -> None:
        box["task"] = asyncio.get_running_loop().create_task(asyncio.Event().wait())

    view.run(leave_a_task)
    thread = _thread_of(view)
    view.stop()
    assert box["task"].cancelled()
    again = pool.borrow(lambda future: future.result())
    assert _thread_of(again) is thread  # cancelled leftovers: the loop is clean
    again.stop()


async def _set_a_handler() -> None:
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)


async def _schedule_a_timer() -> None:
    asyncio.get_running_loop().call_later(3600, print, "from another test")


async def _ignore_cancellation() -> None:
    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue

    asyncio.get_running_loop().create_task(stubborn())


@pytest.mark.parametrize("dirty", [_set_a_handler, _schedule_a_timer, _ignore_cancellation])
def test_a_loop_left_dirty_is_stopped_not_lent_again(
    pool: LoopPool, dirty: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nest_testing._loop_pool as loop_pool

    monkeypatch.setattr(loop_pool, "_SETTLE_SECONDS", 0.2)
    view = pool.borrow(lambda future: future.result())
    thread = _thread_of(view)
    view.run(dirty)
    if dirty is _ignore_cancellation:
        view.stop()  # the stubborn task keeps the loop thread busy: it is left to run
        assert thread.is_alive()
    else:
        view.stop()
        thread.join(timeout=5)
        assert not thread.is_alive()
    again = pool.borrow(lambda future: future.result())
    assert _thread_of(again) is not thread
    again.stop()


def test_a_view_stopped_twice_hands_the_loop_back_once_and_never_stops_it(
    pool: LoopPool,
) -> None:
    view = pool.borrow(lambda future: future.result())
    thread = _thread_of(view)
    view.stop()
    view.stop()
    assert thread.is_alive()
    again = pool.borrow(lambda future: future.result())
    assert _thread_of(again) is thread
    again.stop()


def test_a_loop_never_handed_back_is_not_lent_again(pool: LoopPool) -> None:
    kept = pool.borrow(lambda future: future.result())  # as a runtime that abandoned it
    other = pool.borrow(lambda future: future.result())
    assert _thread_of(other) is not _thread_of(kept)
    other.stop()
    kept.stop()


def test_a_view_settled_on_the_loop_is_handed_back_without_a_trip_of_its_own(
    pool: LoopPool,
) -> None:
    view = pool.borrow(lambda future: future.result())
    thread = _thread_of(view)
    view.run(view.settle)
    assert view.settled == "clean"

    def no_trip(*_: Any) -> None:
        raise AssertionError("the hand-back went to the loop again")

    view.run = no_trip  # type: ignore[method-assign]
    view.stop()
    again = pool.borrow(lambda future: future.result())
    assert _thread_of(again) is thread
    again.stop()


def test_a_trip_after_settling_makes_the_hand_back_check_the_loop_again(
    pool: LoopPool,
) -> None:
    view = pool.borrow(lambda future: future.result())
    view.run(view.settle)
    box: dict[str, asyncio.Task[None]] = {}

    async def leave_a_task() -> None:
        box["task"] = asyncio.get_running_loop().create_task(asyncio.Event().wait())

    view.run(leave_a_task)
    assert view.settled is None
    view.stop()
    assert box["task"].cancelled()


def test_a_closing_module_hands_its_loop_back_in_its_last_trip(
    pool: LoopPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with lending(pool):
        module = Test.create_testing_module(imports=[AppModule]).compile()
    assert module.client.get("/loop").json() == {"same_loop": True, "task_alive": True}
    ticker = module.get(Ticker)
    runs: list[Any] = []
    run = LoopThread.run

    def counted(self: LoopThread, func: Any, *args: Any) -> Any:
        runs.append(func)
        return run(self, func, *args)

    monkeypatch.setattr(LoopThread, "run", counted)
    module.close()
    assert runs == []
    assert ticker.task is not None
    assert ticker.task.cancelled()  # the hand-back's check ended it, in that trip


def test_modules_in_turn_share_the_thread_and_each_ends_its_own_tasks(pool: LoopPool) -> None:
    with lending(pool):
        first = Test.create_testing_module(imports=[AppModule]).compile()
    with first:
        assert first.client.get("/loop").json() == {"same_loop": True, "task_alive": True}
        ticker = first.get(Ticker)
    assert ticker.events == ["init", "shutdown"]
    assert ticker.task is not None
    assert ticker.task.cancelled()
    with lending(pool):
        second = Test.create_testing_module(imports=[AppModule]).compile()
    with second:
        assert second.get(Ticker) is not ticker
        assert second.get(Ticker).init_loop is ticker.init_loop  # the loop was lent again
        assert second.client.get("/loop").json() == {"same_loop": True, "task_alive": True}


def test_outside_the_block_a_module_gets_a_loop_of_its_own(pool: LoopPool) -> None:
    with lending(pool):
        lent = Test.create_testing_module(imports=[AppModule]).compile()
    with lent, Test.create_testing_module(imports=[AppModule]).compile() as own:
        assert own.get(Ticker).init_loop is not lent.get(Ticker).init_loop


RELEASE = threading.Event()


@Injectable
class BlocksTheLoop:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        RELEASE.wait(30)


@Module(providers=[BlocksTheLoop])
class BlockingModule:
    pass


def test_a_hook_that_blocks_a_lent_loop_fails_and_the_next_module_gets_another(
    pool: LoopPool,
) -> None:
    RELEASE.clear()
    started = time.monotonic()
    try:
        with lending(pool), pytest.raises(LifecycleHookError, match="blocks the module's"):
            Test.create_testing_module(imports=[BlockingModule]).hook_timeout(0.2).compile()
        assert time.monotonic() - started < 10
        with lending(pool):
            module = Test.create_testing_module(imports=[AppModule]).compile()
        with module:
            assert module.client.get("/loop").json() == {"same_loop": True, "task_alive": True}
    finally:
        RELEASE.set()


PLUGIN_APP = """
import asyncio
import threading

from nest.core import Injectable, Module


@Injectable
class Where:
    def __init__(self) -> None:
        self.thread = None
        self.task = None

    async def on_module_init(self) -> None:
        self.thread = threading.current_thread()
        self.task = asyncio.get_running_loop().create_task(asyncio.Event().wait())


@Module(providers=[Where])
class AppModule:
    pass
"""


def test_the_plugins_modules_share_one_loop_thread_and_end_their_tasks(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(whereapp=PLUGIN_APP)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
        "nest_app_module = whereapp:AppModule\n"
    )
    pytester.syspathinsert()
    pytester.makepyfile(
        """
        import threading

        from whereapp import Where

        SEEN = []

        def test_one(nest_app):
            SEEN.append(nest_app.get(Where))

        def test_two(nest_app):
            first, second = SEEN[0], nest_app.get(Where)
            assert second is not first
            assert second.thread is first.thread  # one loop thread for the session
            assert first.task.cancelled()  # what the first module left ended with it
            assert not second.task.done()
        """
    )
    before = set(threading.enumerate())
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=2)
    left = [t for t in set(threading.enumerate()) - before if t.name == "nest-testing-loop"]
    assert left == []  # the session's loop is stopped when pytest is done
