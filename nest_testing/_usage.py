"""Checks of what the user hands the public API, each failing with a `UsageError`.

A wrong argument must fail where it is passed, saying what was expected and how to
write it, never later as a `TypeError` from inside the toolkit, PyNest or the
injector. These functions only check; they record and change nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from nest.common.module import ModuleCompiler

from nest_testing._tokens import token_name
from nest_testing.errors import UsageError


def is_module(obj: object) -> bool:
    """Whether `obj` is a PyNest `@Module` class."""
    return isinstance(obj, type) and bool(ModuleCompiler.has_module_metadata(obj))


def require_module(module: object, where: str) -> None:
    """`module` is a `@Module` class (`where` names the call, e.g.
    `override_module(...)`)."""
    if not is_module(module):
        raise UsageError(f"{where} takes PyNest @Module classes; {module!r} is not one.")


def require_list(value: object, key: str) -> Sequence[Any]:
    """`create_testing_module(key=[...])` got a list (or tuple), not one item."""
    if isinstance(value, (list, tuple)):
        return value
    shown = token_name(value) if isinstance(value, type) else repr(value)
    raise UsageError(
        f"create_testing_module({key}=...) takes a list, as @Module does; got {shown}. "
        f"Write {key}=[{shown}]."
    )


def require_controller(cls: object) -> None:
    """An entry of `controllers=[...]` is a `@Controller` class."""
    if isinstance(cls, type) and getattr(cls, "__is_controller__", False):
        return
    if isinstance(cls, type) and getattr(cls, "__injectable__", False):
        raise UsageError(
            f"create_testing_module(controllers=[...]): {cls.__name__} is an @Injectable, "
            "not a @Controller; put it in providers=[...]."
        )
    raise UsageError(
        f"create_testing_module(controllers=[...]) takes @Controller classes; {cls!r} is not one."
    )


def require_token(token: object, where: str) -> Hashable:
    """`token` can be a provider token: a class, an `InjectionToken` or a string
    (anything hashable, as the injector keys bindings by it)."""
    try:
        hash(token)
    except TypeError:
        raise UsageError(
            f"{where}: {token!r} is not a token. A token is what a module lists in "
            "providers=[...]: a class, an InjectionToken or a string (the 'provide' key of "
            "a dict provider)."
        ) from None
    return token


def require_times(times: object) -> int:
    """A construction count a test expects: an int >= 0."""
    if isinstance(times, bool) or not isinstance(times, int) or times < 0:
        raise UsageError(
            f"assert_constructed(token, times=...) takes a count >= 0; got {times!r}."
        )
    return times
