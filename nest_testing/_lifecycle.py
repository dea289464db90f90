"""Startup and shutdown bookkeeping for one container: who received which hook.

PyNest runs lifecycle hooks in passes over the modules and forgets what it saw. A test
needs more: a hook that raises is named after the provider (and module path) that
received it; a failed startup still shuts down what had started, and only that; every
shutdown hook runs even when some raise, and their errors are raised together. A
`HookBook` records what that takes. It never resolves or builds anything, and it
does not decide hook order (PyNest does, in the container).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from nest_testing import _graph_errors
from nest_testing.errors import LifecycleHookError


class HookInterrupt(Exception):  # it carries, it is not the error
    """Carries a `BaseException` a hook raised (`KeyboardInterrupt`, `SystemExit`)
    through the loop and PyNest's `gather` as an ordinary exception: asyncio would
    otherwise stop the loop with it. The runtime re-raises `original` itself once
    what had started is shut down."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(repr(original))
        self.original = original


class _Collecting:
    """`HookBook.collecting_for(path)` (a class: entered for every module of a pass)."""

    __slots__ = ("_book", "_path")

    def __init__(self, book: HookBook, path: tuple[str, ...]) -> None:
        self._book = book
        self._path = path

    def __enter__(self) -> None:
        self._book.collecting = self._path

    def __exit__(self, *exc: object) -> None:
        self._book.collecting = None


_MODULE: Any = object()  # the owner token of a module instance: its path names it


class HookBook:
    """What the lifecycle passes of one container saw, started and failed."""

    def __init__(self, name_of: Callable[[Any], str] = str) -> None:
        self.seen: dict[str, list[Any]] = {}
        """Module token -> the hook receivers of the startup passes."""
        # id(instance) -> path to its module, and -> token of its provider: named only
        # when a hook fails (a startup pass notes thousands, in two dicts, not as tuples).
        self._paths: dict[int, tuple[str, ...]] = {}
        self._owners: dict[int, Any] = {}
        self._name_of = name_of  # a provider's token -> the name an error gives it
        self.collecting: tuple[str, ...] | None = None
        """While a pass resolves one module's receivers: that module's path."""
        self._init_failed: set[int] = set()
        self.aborting = False
        """After a failed startup: only what started is shut down, nothing new built."""
        self.shutting_down = False
        self.shutdown_errors: list[LifecycleHookError] = []
        self._interrupts: list[BaseException] = []
        self._running: dict[int, tuple[Any, str, float]] = {}
        self._calls = itertools.count()

    # ── receivers ────────────────────────────────────────────────────────────

    def collecting_for(self, path: tuple[str, ...]) -> AbstractContextManager[None]:
        """Receivers resolved inside the block belong to the module at `path`."""
        return _Collecting(self, path)

    def note_resolved(self, instance: Any, token: Any) -> None:
        """While collecting: `instance` was resolved for the provider of `token` (the
        first provider that reached an instance names it)."""
        key = id(instance)
        owners = self._owners
        if self.collecting is not None and key not in owners:
            owners[key] = token
            self._paths[key] = self.collecting

    def note_module_instance(self, instance: Any, path: tuple[str, ...]) -> None:
        if id(instance) not in self._owners:
            self._owners[id(instance)] = _MODULE
            self._paths[id(instance)] = path

    def remember(self, module_token: str, receivers: list[Any]) -> None:
        """The receivers of a startup pass (what an abort may have to stop)."""
        if not self.shutting_down:
            self.seen[module_token] = receivers

    def started(self, module_token: str) -> list[Any]:
        """The receivers of a module whose `on_module_init` did not raise."""
        return [i for i in self.seen.get(module_token, ()) if id(i) not in self._init_failed]

    def _owner(self, instance: Any) -> tuple[str, ...]:
        if id(instance) not in self._owners:
            return (type(instance).__name__,)
        token, path = self._owners[id(instance)], self._paths[id(instance)]
        return path if token is _MODULE else (*path, self._name_of(token))

    # ── hooks running now ────────────────────────────────────────────────────

    @contextmanager
    def running(self, instance: Any, method_name: str) -> Iterator[None]:
        """The block calls `instance.method_name`: a watchdog may ask how long."""
        call = next(self._calls)
        self._running[call] = (instance, method_name, time.monotonic())
        try:
            yield
        finally:
            del self._running[call]

    def overdue(self, seconds: float) -> tuple[tuple[str, ...], str] | None:
        """A hook that has been running longer than `seconds` (its receiver's path and
        method), if any: it blocks the loop, or its timeout would have stopped it."""
        now = time.monotonic()
        for instance, method_name, started in list(self._running.values()):
            if now - started > seconds:
                return self._owner(instance), method_name
        return None

    # ── failures ─────────────────────────────────────────────────────────────

    def failed(self, instance: Any, method_name: str, exc: Exception) -> None:
        """A hook raised: during startup, raise it named after its receiver; during
        shutdown, keep it so the other hooks still run."""
        if isinstance(exc, LifecycleHookError):
            error = exc
        else:
            error = _graph_errors.hook_failed(self._owner(instance), method_name, exc)
        self._fail(instance, method_name, error)

    def timed_out(self, instance: Any, method_name: str, timeout: float) -> None:
        """A hook did not return within the hook timeout (it was cancelled)."""
        error = _graph_errors.hook_timed_out(self._owner(instance), method_name, timeout)
        self._fail(instance, method_name, error)

    def interrupted(self, instance: Any, method_name: str, exc: BaseException) -> None:
        """A hook raised a `BaseException`: during startup it stops the startup; during
        shutdown the other hooks still run, then it is raised."""
        if method_name == "on_module_init":
            self._init_failed.add(id(instance))
        if not self.shutting_down:
            raise HookInterrupt(exc)
        self._interrupts.append(exc)

    def _fail(self, instance: Any, method_name: str, error: LifecycleHookError) -> None:
        if method_name == "on_module_init":
            self._init_failed.add(id(instance))
        if not self.shutting_down:
            raise error
        self.shutdown_errors.append(error)

    @contextmanager
    def shutdown(self) -> Iterator[None]:
        """Around PyNest's shutdown passes; raises what the hooks raised, together."""
        self.shutting_down = True
        self.shutdown_errors = []
        self._interrupts = []
        try:
            yield
        finally:
            self.shutting_down = False
        if self._interrupts:  # Ctrl-C or SystemExit outranks any hook's error
            raise HookInterrupt(self._interrupts[0])
        self.raise_shutdown_errors()

    def raise_shutdown_errors(self) -> None:
        """Raise what the last shutdown's hooks raised (one error, or all together)."""
        errors = self.shutdown_errors
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise _graph_errors.shutdown_failed(errors)
