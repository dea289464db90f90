"""The loop thread on its own: it runs what it is given on its loop, and stops."""

import asyncio
import threading

from nest_testing._loop_thread import LoopThread


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
