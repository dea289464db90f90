"""What a route method's attributes and signature are made of, kept to tell if they changed.

A route template is FastAPI's route for a controller method, built from the method's
signature (parameters, annotations, defaults) and PyNest's route attributes on it
(path, HTTP method, route arguments, status code, guards, filters), its name and its
docstring. The method object can stay the same while those change (a test that edits
`__annotations__`, `__doc__`, or a route argument dict in place): `FunctionState` keeps,
of the method and the functions it wraps (which `inspect.signature` follows), its
attributes, code, defaults, annotations, name and docstring, and what the lists, dicts
and sets among its attributes hold, and compares them cheaply (`==` on dicts is
identity first, in C).

It keeps functions, never an instance.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MUTABLE = (list, dict, set)
_WRAPS = 16  # `__wrapped__` links followed; a longer chain is not kept


def frozen(value: Any) -> Any:
    """What a list, dict or set holds now (a copy that an edit in place does not reach;
    made without calling the container's own type, which may want other arguments)."""
    if isinstance(value, dict):
        return tuple(value.items())
    if isinstance(value, set):
        return frozenset(value)
    return tuple(value)


def _contents(namespace: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The names of the lists, dicts and sets in `namespace`, and what they hold."""
    return tuple(
        (name, frozen(value)) for name, value in namespace.items() if isinstance(value, MUTABLE)
    )


def _unchanged_contents(namespace: Mapping[str, Any], contents: Iterable[Any]) -> bool:
    return all(frozen(namespace[name]) == held for name, held in contents)


def names(function: Any) -> tuple[Any, Any, Any]:
    """What FastAPI reads of a function beside its attributes and signature: its name
    (the route's name and operation id), qualified name and docstring (the route's
    description). Slots of the function, not in its `__dict__`."""
    return (
        getattr(function, "__name__", None),
        getattr(function, "__qualname__", None),
        getattr(function, "__doc__", None),
    )


class _Function:
    """What a function's route attributes and signature are made of, as it was."""

    __slots__ = (
        "annotations", "attributes", "code", "contents", "defaults", "function", "kwdefaults",
        "names",
    )  # fmt: skip

    def __init__(self, function: types.FunctionType) -> None:
        self.function = function
        self.attributes = dict(function.__dict__)
        self.contents = _contents(function.__dict__)
        self.code = function.__code__
        self.defaults = function.__defaults__
        kwdefaults = function.__kwdefaults__
        self.kwdefaults = None if kwdefaults is None else dict(kwdefaults)
        self.annotations = dict(function.__annotations__)
        self.names = names(function)

    def unchanged(self) -> bool:
        function = self.function
        return (
            function.__dict__ == self.attributes
            and function.__code__ is self.code
            and function.__defaults__ == self.defaults
            and function.__kwdefaults__ == self.kwdefaults
            and function.__annotations__ == self.annotations
            and names(function) == self.names
            and _unchanged_contents(function.__dict__, self.contents)
        )


class FunctionState:
    """What a route method's attributes and signature are made of (the method and the
    functions it wraps, which `inspect.signature` follows), as they were."""

    __slots__ = ("_functions",)

    def __init__(self, functions: Sequence[_Function]) -> None:
        self._functions = tuple(functions)

    @classmethod
    def of(cls, function: Any) -> FunctionState | None:
        """`None` if `function` or one it wraps is not a plain function."""
        found: list[_Function] = []
        while function is not None:
            if type(function) is not types.FunctionType or len(found) == _WRAPS:
                return None
            found.append(_Function(function))
            function = function.__dict__.get("__wrapped__")
        return cls(found)

    def unchanged(self) -> bool:
        try:
            return all(function.unchanged() for function in self._functions)
        except Exception:  # an attribute whose == raises: build the route PyNest's way
            return False
