"""An event loop in a daemon thread, reached through an anyio blocking portal.

`anyio.from_thread.start_blocking_portal()` is a generator-based context manager: a
module left open keeps the generator alive, and when the garbage collector finalises it
at interpreter shutdown it waits for a portal thread that is already frozen, so the
process never exits. A `LoopThread` owns its thread and its portal directly (the
same `BlockingPortal` and `sleep_until_stopped` anyio uses), so nothing runs at
collection time, and every wait for the loop goes through one `wait` function the
owner provides (the runtime's watchdog for hooks that block the loop).

It runs what it is given; it knows nothing of modules, hooks or apps. A running
`LoopThread` can also be lent (`lent`): a view with the borrower's own `wait` whose
`stop()` hands the loop back to the lender instead of stopping it (see
`nest_testing._loop_pool`); the borrower's last task may `settle` the view, doing on
the loop what handing it back checks, so that `stop()` needs no trip of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

try:
    import sniffio
except ImportError:  # pragma: no cover - anyio runs without sniffio too
    sniffio = None  # type: ignore[assignment]

T = TypeVar("T")


def _parameters(function: Any) -> list[str] | None:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None


# The shape of anyio's private portal methods this was written against (anyio 4.x);
# another shape gets anyio's own spawn (see DirectPortal).
_KNOWN_ANYIO = _parameters(getattr(BlockingPortal, "_spawn_task_from_thread", None)) == [
    "self", "func", "args", "kwargs", "name", "future",
] and _parameters(getattr(BlockingPortal, "_call_func", None)) == [
    "self", "func", "args", "kwargs", "future",
]  # fmt: skip


class DirectPortal(BlockingPortal):
    """anyio's `BlockingPortal`, one wake-up cheaper per call from another thread.

    `start_task_soon` (and `call`, `start_task`, which use it) blocks the calling thread
    until the loop has spawned the task, then waits for the task's outcome: two
    wake-ups of each thread per call, about two thirds of a round trip's cost. Here
    the spawn is handed to the loop and the caller goes on to wait for the outcome
    only. The task is the same: spawned in the portal's task group, in the caller's
    context, run by the portal's own `_call_func`; a spawn that fails (the portal is
    shutting down) fails the call's future instead of the caller's `start_soon`.
    """

    _direct_loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> DirectPortal:
        await super().__aenter__()
        if _KNOWN_ANYIO and hasattr(self, "_task_group"):
            self._direct_loop = asyncio.get_running_loop()
        return self  # else an anyio of another shape: its own spawn, unchanged

    def _spawn_task_from_thread(self, *arguments: Any, **keywords: Any) -> None:
        # Any signature: anyio calls this with whatever its own takes.
        loop = self._direct_loop
        if loop is None or loop.is_closed() or keywords:
            super()._spawn_task_from_thread(*arguments, **keywords)
            return
        loop.call_soon_threadsafe(self._spawn_soon, *arguments)

    def _spawn_soon(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: object,
        future: Future[Any],
    ) -> None:
        # What anyio's run_sync_from_thread sets before it spawns: sniffio sees asyncio.
        if sniffio is not None:
            sniffio.current_async_library_cvar.set("asyncio")
        try:
            self._task_group.start_soon(self._call_func, func, args, kwargs, future, name=name)
        except BaseException as exc:
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise


def _wait_forever(future: Future[Any]) -> Any:
    return future.result()


class LoopThread:
    """One asyncio loop in a daemon thread; `run` and `hold` reach it."""

    def __init__(self, wait: Callable[[Future[Any]], Any] = _wait_forever) -> None:
        self._wait = wait
        self._thread: threading.Thread | None = None
        self.portal: BlockingPortal | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        """The running loop (set by `start`)."""
        self.host_task: asyncio.Task[Any] | None = None
        """The task that keeps the portal open: the one task a idle loop runs."""
        self._give_back: Callable[[LoopThread], None] | None = None
        self._lent = False  # a view: stop() hands the loop back (once), never stops it
        self._settle: Callable[[], Awaitable[str]] | None = None
        self.settled: str | None = None
        """What `settle` found (a lent view), until the loop is reached again."""

    def start(self) -> BlockingPortal:
        """Start the loop and its portal; returns the portal."""
        ready: Future[BlockingPortal] = Future()

        async def host() -> None:
            self.loop = asyncio.get_running_loop()
            self.host_task = asyncio.current_task()
            async with DirectPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        def run() -> None:
            try:
                anyio.run(host)
            except BaseException as exc:  # pragma: no cover - the loop failed to start
                if not ready.done():
                    ready.set_exception(exc)

        self._thread = threading.Thread(target=run, name="nest-testing-loop", daemon=True)
        self._thread.start()
        self.portal = ready.result()
        return self.portal

    def lent(
        self,
        wait: Callable[[Future[Any]], Any],
        give_back: Callable[[LoopThread], None],
        settle: Callable[[], Awaitable[str]] | None = None,
    ) -> LoopThread:
        """This running loop for one borrower: `run` and `hold` wait through the
        borrower's `wait`; its `stop()` calls `give_back(view)` instead of stopping.
        `settle`: what `give_back` would run on the loop, for `settle()`."""
        view = LoopThread(wait)
        view._thread, view.portal, view.loop = self._thread, self.portal, self.loop
        view.host_task = self.host_task
        view._give_back = give_back
        view._lent = True
        view._settle = settle
        return view

    async def settle(self) -> None:
        """On the loop, in what the borrower runs there last: for a lent view, do now
        what handing the loop back checks (kept in `settled`; any later `run` or `hold`
        drops it, so `give_back` checks again); else nothing."""
        if self._settle is not None:
            self.settled = await self._settle()

    def run(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """`await func(*args)` on the loop, waiting through the owner's `wait`."""
        assert self.portal is not None
        self.settled = None
        result: T = self._wait(self.portal.start_task_soon(func, *args))
        return result

    @contextmanager
    def hold(self, cm: AbstractAsyncContextManager[Any]) -> Iterator[None]:
        """Enter `cm` in a task of its own on the loop, and exit it there when the
        block ends (an async context manager must enter and exit in one task)."""
        assert self.portal is not None
        self.settled = None
        entered: Future[None] = Future()
        box: dict[str, Any] = {"exc_info": (None, None, None)}

        async def keep() -> None:
            box["exit"] = anyio.Event()  # made on the loop, where it is awaited
            try:
                await cm.__aenter__()
            except BaseException as exc:
                entered.set_exception(exc)
                return
            entered.set_result(None)
            try:
                await box["exit"].wait()
            finally:
                await cm.__aexit__(*box["exc_info"])

        task = self.portal.start_task_soon(keep)
        try:
            self._wait(entered)
        except BaseException:
            self._wait(task)  # it has ended: it failed to enter
            raise
        try:
            yield
        except BaseException as exc:
            box["exc_info"] = (type(exc), exc, exc.__traceback__)
            raise
        finally:
            # No round trip to set it: the task's end is what is waited for.
            assert self.loop is not None
            self.loop.call_soon_threadsafe(box["exit"].set)
            self._wait(task)

    def stop(self) -> None:
        """Stop the loop (its remaining tasks are cancelled) and join the thread; a lent
        view gives the loop back instead."""
        if self._lent:
            give_back, self._give_back = self._give_back, None
            if give_back is not None:
                give_back(self)
            return
        if self.portal is not None:
            with contextlib.suppress(RuntimeError):  # already stopped
                self.portal.call(self.portal.stop, True)
        if self._thread is not None:
            self._thread.join()
