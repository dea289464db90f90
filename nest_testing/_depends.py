"""Counting what FastAPI builds per request: `Depends(SomeClass)` on the module's routes.

FastAPI calls the class itself for each request. To count those constructions without
patching the class, each route of *this app* that depends on such a class gets its own
dependant tree (FastAPI's `get_dependant`, as FastAPI makes it for an override) in which
the class is called through a stand-in: a callable with the class's signature that
builds the instance exactly as FastAPI would and records it. The stand-in is equal to
the class (and hashes as it), so an entry for the class in `dependency_overrides`, set
by the user at any time, still wins. `dependency_overrides` itself is left empty: while
it holds anything, FastAPI rebuilds every dependant of every route on every request.
The shared route templates and their dependants are never changed; the parameters
(and so the OpenAPI schema) are those of the class.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, get_flat_dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, get_websocket_app, request_response
from starlette.requests import HTTPConnection
from starlette.routing import websocket_session

from nest_testing._ledger import Ledger


def depends_classes(app: FastAPI) -> list[type]:
    """Every class used as a `Depends()` callable on the app's routes, at any depth."""
    found: dict[type, None] = {}
    for route in app.routes:
        # A route with no sub-dependants (most) costs no generator.
        if isinstance(route, (APIRoute, APIWebSocketRoute)) and route.dependant.dependencies:
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
    stand_ins: dict[type, _StandIn] = {}
    for cls in depends_classes(app):
        if cls in app.dependency_overrides:
            continue
        replacement = replaced(cls)
        if replacement is None:
            replacement = _counting_builder(cls, ledger)
            counted.append(cls)
        stand_ins[cls] = _StandIn(cls, replacement)
    if stand_ins:
        for route in app.routes:
            if isinstance(route, (APIRoute, APIWebSocketRoute)):
                _call_stand_ins(app, route, stand_ins)
    return counted


class _StandIn:
    """Called by FastAPI in `cls`'s place: `call`, with `call`'s signature. Equal to
    `cls`, so FastAPI's lookup of `dependency_overrides` finds an entry for `cls`."""

    def __init__(self, cls: type, call: Callable[..., Any]) -> None:
        self._cls = cls
        self._call = call
        self.__signature__ = inspect.signature(call)
        self.__name__ = cls.__name__
        self.__qualname__ = cls.__qualname__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return other is self or other is self._cls

    def __hash__(self) -> int:
        return hash(self._cls)

    def __repr__(self) -> str:
        return f"<counted {self.__qualname__}>"


def _call_stand_ins(app: FastAPI, route: Any, stand_ins: Mapping[type, _StandIn]) -> None:
    """Give `route` a dependant tree of its own that calls the stand-ins, and the
    request handler FastAPI makes for it; a route without those classes is untouched."""
    dependant = _with_stand_ins(route.dependant, stand_ins)
    if dependant is route.dependant:
        return
    route.dependant = dependant
    route._flat_dependant = get_flat_dependant(dependant)
    if isinstance(route, APIRoute):
        route.app = request_response(route.get_route_handler())
    else:
        route.app = websocket_session(
            get_websocket_app(
                dependant=dependant,
                dependency_overrides_provider=app,
                embed_body_fields=route._embed_body_fields,
            )
        )


def _with_stand_ins(dependant: Dependant, stand_ins: Mapping[type, _StandIn]) -> Dependant:
    """`dependant`, or a copy (never a change: templates share sub-dependants) whose
    sub-dependants calling a stand-in's class are made for the stand-in, as FastAPI
    makes a dependant for an override."""
    subs = []
    for sub in dependant.dependencies:
        stand_in = stand_ins.get(sub.call) if inspect.isclass(sub.call) else None
        if stand_in is not None:
            sub = get_dependant(
                path=sub.path or "",
                call=stand_in,
                name=sub.name,
                own_oauth_scopes=sub.own_oauth_scopes,
                parent_oauth_scopes=sub.parent_oauth_scopes,
                use_cache=sub.use_cache,
                scope=sub.scope,
            )
        subs.append(_with_stand_ins(sub, stand_ins))
    if all(a is b for a, b in zip(subs, dependant.dependencies, strict=True)):
        return dependant
    return dataclasses.replace(dependant, dependencies=subs)


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
