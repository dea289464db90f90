"""The loop thread on its own: it runs what it is given on its loop, and stops."""

import asyncio
import threading

import pytest

from nest_testing._loop_thread import DirectPortal, LoopThread


def test_a_loop_thread_runs_coroutines_on_its_own_loop_and_stops() -> None:
    before = set(threading.enumerate())
    thread = LoopThread()  # no watchdog: waits for as long as it takes
    thread.start()
    (started,) = set(threading.enumerate()) - before
    try:

        async def where(value: str) -> tuple[str, str]:
            await asyncio.sleep(0)
            return value, threading.current_thread().name

        assert thread.run(where, "x") == ("x", "nest-testing-loop")
    finally:
        thread.stop()
    assert not started.is_alive()


def test_a_call_from_another_thread_does_not_wait_for_the_loop_to_spawn_its_task() -> None:
    # anyio's own portal blocks the caller until the loop has spawned the task (a wake-up
    # of each thread more per call); the loop thread's portal hands the spawn over.
    thread = LoopThread()
    thread.start()
    gate = threading.Event()
    guard = threading.Timer(10, gate.set)  # frees the loop should the call block after all
    guard.start()
    try:
        assert thread.loop is not None
        assert thread.portal is not None
        if type(thread.portal) is not DirectPortal:  # older anyio: a backend class
            pytest.skip("this anyio's BlockingPortal() is its backend's class: its own spawn")
        thread.loop.call_soon_threadsafe(gate.wait)  # the loop is busy until the gate opens

        async def answer() -> str:
            return threading.current_thread().name

        future = thread.portal.start_task_soon(answer)
        assert not gate.is_set()  # returned while the loop could not have spawned it
        gate.set()
        assert future.result() == "nest-testing-loop"
    finally:
        gate.set()
        guard.cancel()
        thread.stop()


def test_a_task_the_portal_cannot_spawn_fails_the_call_instead_of_hanging_it() -> None:
    thread = LoopThread(lambda future: future.result(timeout=10))  # a hang fails the test
    thread.start()
    try:
        assert thread.portal is not None
        group = thread.portal._task_group  # type: ignore[attr-defined]

        def refuse(*args: object, **kwargs: object) -> None:
            raise RuntimeError("This task group is not active; no new tasks can be started.")

        spawn, group.start_soon = group.start_soon, refuse
        try:

            async def never() -> None:
                raise AssertionError("not spawned")

            with pytest.raises(RuntimeError, match="not active"):
                thread.run(never)
        finally:
            group.start_soon = spawn
    finally:
        thread.stop()


def test_an_anyio_of_another_shape_gets_its_own_spawn(monkeypatch: pytest.MonkeyPatch) -> None:
    # The direct spawn relies on anyio's private portal methods: where their signatures
    # are not the ones it was written against, calls take anyio's own path, unchanged.
    import nest_testing._loop_thread as loop_thread

    monkeypatch.setattr(loop_thread, "_KNOWN_ANYIO", False)
    thread = LoopThread(lambda future: future.result(timeout=10))
    thread.start()
    try:
        assert getattr(thread.portal, "_direct_loop", None) is None

        async def answer() -> str:
            await asyncio.sleep(0)
            return threading.current_thread().name

        assert thread.run(answer) == "nest-testing-loop"
        assert thread.portal is not None
        assert thread.portal.call(answer) == "nest-testing-loop"
    finally:
        thread.stop()
