"""One loop thread lent to testing modules in turn, instead of a thread per module.

Starting a loop thread and stopping it again costs more than a small app's whole
compile (a thread, a loop, a portal, and the round trips to each). The plugin's
`nest_app` fixture compiles one module per test, one after another, so it borrows
the loop of a `LoopPool` kept for the pytest session (`lending`); a `compile()` outside
that block starts a loop of its own, as before.

A module still has its own lifecycle on the borrowed loop: its startup hooks, lifespan,
requests and shutdown hooks. When it hands the loop back, what it left there is ended
as stopping the loop would have ended it: every task it started and that still runs
is cancelled and awaited. The loop is lent again only if nothing of the module can
reach the next one: no task that outlived its cancellation, no timer still scheduled,
the loop's exception handler, task factory and debug flag as they were. Otherwise the
loop is stopped (or, if a task ignores its cancellation, left to it: stopping would wait
for that task forever) and the next module gets a fresh one. A module whose hook blocks the
loop never hands it back (the runtime abandons it), so it is never lent again.

It knows nothing of modules or hooks: it lends loops and takes them back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from nest_testing._loop_thread import LoopThread

_SETTLE_SECONDS = 5.0  # how long cancelled leftover tasks may take to end

_LENDER: ContextVar[LoopPool | None] = ContextVar("nest_testing_loop_lender", default=None)


class LoopPool:
    """Lends one running loop thread at a time, and takes it back when it is clean."""

    def __init__(self) -> None:
        self._idle: LoopThread | None = None
        self._initial: tuple[Any, ...] = ()
        self._lock = threading.Lock()
        self._closed = False

    def borrow(self, wait: Callable[[Future[Any]], Any]) -> LoopThread:
        """A started loop thread whose `run` / `hold` wait through `wait`; its `stop()`
        hands it back."""
        with self._lock:
            core, self._idle = self._idle, None
        if core is None:
            core = LoopThread()
            core.start()
            self._initial = core.run(_loop_state)
        initial = self._initial
        return core.lent(
            wait,
            lambda view: self._give_back(core, view),
            lambda: _end_leftovers(initial, core.host_task),
        )

    def _give_back(self, core: LoopThread, view: LoopThread) -> None:
        state = view.settled  # the borrower's last task on the loop checked already
        if state is None:
            state = view.run(_end_leftovers, self._initial, core.host_task)
        with self._lock:
            keep = state == "clean" and self._idle is None and not self._closed
            if keep:
                self._idle = core
        if state == "busy":
            return  # a task outlived its cancellation: stopping would wait for it forever
        if not keep:
            core.stop()

    def close(self) -> None:
        """Stop the idle loop; later hand-backs stop theirs."""
        with self._lock:
            self._closed = True
            core, self._idle = self._idle, None
        if core is not None:
            core.stop()


async def _loop_state() -> tuple[Any, ...]:
    loop = asyncio.get_running_loop()
    return (loop.get_exception_handler(), loop.get_task_factory(), loop.get_debug())


async def _end_leftovers(initial: tuple[Any, ...], portal_host: asyncio.Task[Any] | None) -> str:
    """Cancel and await the tasks a module left on the loop: "clean" if the loop is now
    as it was lent, "dirty" if not, "busy" if a task outlived its cancellation."""
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks(loop) if t is not current and t is not portal_host]
    for task in left:
        task.cancel()
    if left:
        _, pending = await asyncio.wait(left, timeout=_SETTLE_SECONDS)
        if pending:
            return "busy"
    timers = getattr(loop, "_scheduled", ())  # asyncio's heap of call_later handles
    if await _loop_state() != initial or not all(timer.cancelled() for timer in timers):
        return "dirty"
    return "clean"


@contextmanager
def lending(pool: LoopPool) -> Iterator[None]:
    """Within the block, `loop_thread` borrows from `pool`."""
    token = _LENDER.set(pool)
    try:
        yield
    finally:
        _LENDER.reset(token)


def loop_thread(wait: Callable[[Future[Any]], Any]) -> LoopThread:
    """A started loop thread for one module: borrowed inside `lending`, else its own."""
    pool = _LENDER.get()
    if pool is not None:
        return pool.borrow(wait)
    thread = LoopThread(wait)
    thread.start()
    return thread
