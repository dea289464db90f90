"""PyNest CLI apps in a testing module: `module.cli` and `module.invoke([...])`.

PyNest's `CLIAppFactory.create(AppModule)` builds a container of its own and a
`click.Group("main")` with one group per `@CliController`. Here the same group is
built by PyNest's own factory methods (`_resolve_instance`, `_build_cli_group`) from
the *testing module's* container, so overrides, mocks, spies and construction counts
apply; async commands run on the module's event loop instead of a throwaway
`asyncio.run`. This module does not run the HTTP app and does not parse arguments
(click does).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any

import anyio.from_thread
import click
from click.testing import CliRunner, Result
from nest.core.cli_factory import CLIAppFactory

from nest_testing.errors import UsageError

_INSTANCES: weakref.WeakKeyDictionary[Any, dict[type, Any]] = weakref.WeakKeyDictionary()


def is_cli_controller(cls: type) -> bool:
    """Whether `cls` is a `@CliController` (it carries the click group PyNest made)."""
    return isinstance(getattr(cls, "_cli_group", None), click.Group)


def cli_controller_instance(container: Any, cls: type) -> Any:
    """The one instance of a `@CliController` for this container, built as
    `CLIAppFactory` builds it: each annotated `__init__` parameter from
    `container.get`. (The injector cannot build it: PyNest's `@CliController` does
    not make its `__init__` injectable, which is why `PyNestFactory.create` fails on
    such an app.)"""
    instances = _INSTANCES.setdefault(container, {})
    if cls not in instances:
        instances[cls] = CLIAppFactory._resolve_instance(cls, container)
    return instances[cls]


class _TestingCLIFactory(CLIAppFactory):  # type: ignore[misc]  # PyNest is untyped
    """PyNest's factory, running async commands through `run`."""

    def __init__(self, run: Callable[[Callable[..., Coroutine[Any, Any, Any]]], Any]) -> None:
        super().__init__()
        self._run = run

    def _run_async(self, coro: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return self._run(partial(coro, *args, **kwargs))

        return wrapper


def build_cli(container: Any, portal: anyio.from_thread.BlockingPortal | None) -> click.Group:
    """The `click.Group("main")` `CLIAppFactory.create` builds, from `container`."""

    def run(command: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        if portal is None:
            name = getattr(getattr(command, "func", None), "__qualname__", "command")
            raise UsageError(
                f"{name} is an async CLI command: it runs on the testing module's event "
                "loop, and a module from `await compile_async()` lives on your test's own "
                "loop, which a blocking click invocation would deadlock. Compile the "
                "module with `compile()` to invoke async commands."
            )
        return portal.call(command)

    factory = _TestingCLIFactory(run)
    group = click.Group("main")
    for ref in container.modules.values():
        for controller in ref.compiled.controllers:
            if not is_cli_controller(controller):
                continue
            instance = container.get_controller_instance(controller)
            group.add_command(factory._build_cli_group(controller, instance))
    if not group.commands:
        raise UsageError(
            "module.cli: no module of this testing module declares a @CliController, so "
            "there is no CLI to build. (For an HTTP app use module.client.)"
        )
    return group


def invoke(group: click.Group, args: Sequence[str], **kwargs: Any) -> Result:
    """`CliRunner().invoke(group, args, **kwargs)`, output captured."""
    if isinstance(args, str):
        raise UsageError(
            f"module.invoke() expects the arguments as a list, e.g. {args.split()!r}, "
            f"got the string {args!r}."
        )
    return CliRunner().invoke(group, list(args), **kwargs)
