"""PyNest's parameter pipes on one app's routes: counted, and replaced by `override_pipe`.

PyNest turns each `Param(...)` / `Query(...)` / `Body(...)` / ... parameter of a
route into a FastAPI dependency of its own (`_build_dependency`, per route and per app),
closing over the parameter's `ParamMetadata`; on each request that dependency builds
every pipe class in `metadata.pipes` and applies it. Patching a class or the shared
metadata would change every app, so each such dependency gets an entry in *this app's*
`dependency_overrides` (FastAPI's testing seam, as for `Depends(SomeClass)`): the same
function (PyNest's code) closing over a copy of the metadata whose pipes are

- the replacement, for a pipe class the builder overrode;
- for every pipe class, a stand-in that builds the real class and records it in the
  ledger, so `module.constructions[ParseIntPipe]` counts the per-request builds.

PyNest's own code still applies each pipe (`transform` or call); nothing here applies
one.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from nest.common.decorators import ParamMetadata

from nest_testing._closures import closure_variables
from nest_testing._depends import walk_dependants
from nest_testing._ledger import Ledger
from nest_testing._routes import unknown_route_override
from nest_testing._tokens import token_name
from nest_testing.errors import UsageError

_DEPENDENCY = "_build_dependency.<locals>.dependency"


def _param_dependencies(app: FastAPI) -> Iterator[tuple[Callable[..., Any], ParamMetadata]]:
    """Each PyNest parameter dependency of the app's routes that has pipes."""
    seen: set[int] = set()
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.dependant.dependencies:
            continue  # a route with no sub-dependants (most) costs no generator
        for dependant in walk_dependants(route.dependant):
            call = dependant.call
            if getattr(call, "__qualname__", None) != _DEPENDENCY or id(call) in seen:
                continue
            assert call is not None
            seen.add(id(call))
            metadata = closure_variables(call).get("metadata")
            if isinstance(metadata, ParamMetadata) and metadata.pipes:
                yield call, metadata


def _pipe_class(item: object) -> type | None:
    """The class a route's pipe names: itself, or the class of a pipe object (a plain
    function or builtin names none)."""
    if inspect.isclass(item):
        return item
    if inspect.isroutine(item):
        return None
    return type(item)


def _is_pipe(replacement: object) -> bool:
    if inspect.isclass(replacement):
        return hasattr(replacement, "transform") or any(
            "__call__" in vars(c) for c in replacement.__mro__[:-1]
        )
    return hasattr(replacement, "transform") or callable(replacement)


def apply_pipes(app: FastAPI, replacements: Mapping[type, object], ledger: Ledger) -> list[type]:
    """Count every pipe class of the app's routes and apply `override_pipe`'s
    replacements. Returns the pipe classes in use (replaced ones included) and the
    replacement classes: what `module.constructions` knows."""
    found = list(_param_dependencies(app))
    in_use = list(dict.fromkeys(c for _, m in found for p in m.pipes if (c := _pipe_class(p))))
    unknown = [pipe for pipe in replacements if pipe not in in_use]
    if unknown:
        raise unknown_route_override("override_pipe", unknown, in_use, "pipe")
    for pipe, replacement in replacements.items():
        if not _is_pipe(replacement):
            raise UsageError(
                f"override_pipe({token_name(pipe)}) expects a pipe: a class or object with "
                f"transform(value), or a callable taking the value; got {replacement!r}."
            )
    counters: dict[type, type] = {}
    for call, metadata in found:
        pipes = []
        for item in metadata.pipes:
            cls = _pipe_class(item)
            if cls is not None and cls in replacements:
                item = replacements[cls]
            if inspect.isclass(item):
                item = counters.get(item) or counters.setdefault(item, _counting(item, ledger))
            pipes.append(item)
        piped = dataclasses.replace(metadata, pipes=tuple(pipes))
        app.dependency_overrides[call] = _closing_over(call, piped)
    return list(dict.fromkeys([*in_use, *counters]))


def _counting(cls: type, ledger: Ledger) -> type:
    """A stand-in class for PyNest's `pipe()`: builds `cls` itself (so PyNest applies
    the real object) and records the construction."""

    def __new__(counter: type) -> Any:
        instance = cls()
        ledger.record(cls, "pipe")
        return instance

    return type(cls.__name__, (), {"__new__": __new__, "__qualname__": cls.__qualname__})


def _closing_over(call: Callable[..., Any], metadata: ParamMetadata) -> Callable[..., Any]:
    """PyNest's parameter dependency `call`, closing over `metadata` instead."""
    function: Any = call
    cells = tuple(
        types.CellType(metadata) if name == "metadata" else cell
        for name, cell in zip(function.__code__.co_freevars, function.__closure__, strict=True)
    )
    copy: Any = types.FunctionType(
        function.__code__, function.__globals__, function.__name__, function.__defaults__, cells
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__signature__ = inspect.signature(function)
    return copy  # type: ignore[no-any-return]
