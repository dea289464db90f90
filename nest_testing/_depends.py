"""Counting what FastAPI builds per request: `Depends(SomeClass)` on the module's routes.

FastAPI calls the class itself for each request. To count those constructions without
patching the class, each such class gets an entry in *this app's*
`dependency_overrides` (FastAPI's own testing seam): a function with the class's
signature that builds the instance exactly as FastAPI would and records it. The OpenAPI
schema is computed from the routes, not from overrides, so it is unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import HTTPConnection

from nest_testing._ledger import Ledger


def depends_classes(app: FastAPI) -> list[type]:
    """Every class used as a `Depends()` callable on the app's routes, at any depth."""
    found: dict[type, None] = {}
    for route in app.routes:
        if isinstance(route, (APIRoute, APIWebSocketRoute)):
            for dependant in walk_dependants(route.dependant):
                if inspect.isclass(dependant.call):
                    found.setdefault(dependant.call)
    return list(found)


def walk_dependants(dependant: Dependant) -> Iterator[Dependant]:
    """The dependants under `dependant`, at any depth, depth first."""
    for sub in dependant.dependencies:
        yield sub
        yield from walk_dependants(sub)


def count_depends(
    app: FastAPI, ledger: Ledger, replaced: Callable[[type], Callable[[], Any] | None]
) -> list[type]:
    """Route every `Depends(SomeClass)` of `app` through a counting builder.

    A class the testing module overrides or mocks is not built at all: `Depends` gets
    what every other consumer gets, from `replaced(cls)`, so a replacement reaches
    consumers over HTTP too. Classes the user already put in `app.dependency_overrides`
    are left alone, but a *replacement* there that is a class is built per request by
    FastAPI, so it is built through the counter too. Returns the classes FastAPI now
    builds through the counter.
    """
    counted = []
    for original, override in list(app.dependency_overrides.items()):
        if inspect.isclass(override):
            app.dependency_overrides[original] = _counting_builder(override, ledger)
            counted.append(override)
    for cls in depends_classes(app):
        if cls in app.dependency_overrides:
            continue
        replacement = replaced(cls)
        if replacement is not None:
            app.dependency_overrides[cls] = replacement
        else:
            app.dependency_overrides[cls] = _counting_builder(cls, ledger)
            counted.append(cls)
    return counted


_CONNECTION = "nest_testing_connection_"


def _counting_builder(cls: type, ledger: Ledger) -> Callable[..., Any]:
    def build(*args: Any, **kwargs: Any) -> Any:
        connection: HTTPConnection = kwargs.pop(_CONNECTION)
        instance = cls(*args, **kwargs)
        ledger.record(cls, "Depends", route=_route_of(connection))
        return instance

    try:  # as FastAPI reads it: string annotations evaluated where the class lives
        signature = inspect.signature(cls, eval_str=True)
    except NameError:
        signature = inspect.signature(cls)
    # One extra keyword-only parameter, which FastAPI fills with the request (or
    # websocket), so a construction can name its route.
    parameters = list(signature.parameters.values())
    extra = inspect.Parameter(
        _CONNECTION, inspect.Parameter.KEYWORD_ONLY, annotation=HTTPConnection
    )
    at = next(
        (i for i, p in enumerate(parameters) if p.kind is inspect.Parameter.VAR_KEYWORD),
        len(parameters),
    )
    parameters.insert(at, extra)
    build.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    build.__name__ = cls.__name__
    build.__qualname__ = cls.__qualname__
    return build


def _route_of(connection: HTTPConnection) -> str:
    route = connection.scope.get("route")
    path = getattr(route, "path", None) or connection.url.path
    method = connection.scope.get("method")
    return f"{method} {path}" if method else f"WS {path}"
