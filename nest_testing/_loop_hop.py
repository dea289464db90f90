"""Await a coroutine that runs on another thread's asyncio loop, in one hop each way.

`asyncio.run_coroutine_threadsafe` and anyio's `BlockingPortal.start_task_soon` both go
through a `concurrent.futures.Future` (a lock and a condition per call); the portal also
blocks the calling thread until the other loop has spawned the task, so a request from
a test's loop to a module's loop thread woke each thread twice. A hop here is one
`call_soon_threadsafe` to start a task on the target loop and one back with its outcome,
settling a future of the caller's loop: two wake-ups in all, no lock held.

A cancelled caller stops waiting, but the task on the target loop runs to its end (as
`asyncio.shield` would have it): a request half-served on the module's loop is never
torn down from another thread. Tasks are held until they end, as a task group holds
its children, so a task waiting on an event only it refers to is not collected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopHop:
    """Runs coroutines on `loop` (another thread's) for callers on their own loops."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._running: dict[asyncio.Future[Any], asyncio.Task[Any]] = {}  # by outcome

    async def run(self, func: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """`await func(*args)` on the target loop, from the running loop."""
        here = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = here.create_future()
        self._loop.call_soon_threadsafe(self._start, (func, args, outcome, here))
        return await outcome

    def _start(self, call: _Call) -> None:
        self._running[call[2]] = self._loop.create_task(self._serve(call))

    async def _serve(self, call: _Call) -> None:
        func, args, outcome, here = call
        # The outcome is sent from inside the task, not from a done callback: one loop
        # iteration fewer on the target loop per call.
        try:
            result = await func(*args)
        except Exception as error:
            _send(here, outcome, None, error)
        except BaseException as error:  # cancelled: the target loop stopped under it
            _send(here, outcome, None, error)
            raise
        else:
            _send(here, outcome, result, None)
        finally:
            del self._running[outcome]


_Call = tuple[
    Callable[..., Coroutine[Any, Any, Any]],
    tuple[Any, ...],
    asyncio.Future[Any],
    asyncio.AbstractEventLoop,
]
"""What to run there, and the caller's future and loop to settle it on."""


def _send(
    here: asyncio.AbstractEventLoop,
    outcome: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    # Not contextlib.suppress: three more calls on every request.
    try:  # noqa: SIM105
        here.call_soon_threadsafe(_settle, outcome, result, error)
    except RuntimeError:  # the caller's loop is closed: nobody waits
        pass


def _settle(outcome: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if outcome.done():  # the caller was cancelled and stopped waiting
        return
    if isinstance(error, asyncio.CancelledError):
        outcome.cancel()
    elif error is not None:
        outcome.set_exception(error)
    else:
        outcome.set_result(result)
