"""Including a controller's router in the app without nesting an empty lifespan.

FastAPI's `include_router` merges the included router's lifespan into the app's, one
`async with` inside the other, so an app of N controllers enters N nested context
managers at startup: at about 1,000 controllers that is past Python's recursion limit
(the same app fails with a plain `TestClient`). PyNest gives each controller a fresh
`APIRouter` with no lifespan and no event handlers: its lifespan is FastAPI's default,
which runs the router's (empty) startup and shutdown handlers and yields no state, so
merging it changes nothing but the depth. This module includes such a router and keeps
the app's lifespan as it was; any other router is merged as FastAPI does. It must not
change routes, handlers or any lifespan that does something.
"""

from __future__ import annotations

from typing import Any

import fastapi.routing
from fastapi import APIRouter, FastAPI

# FastAPI's own default lifespan (private: a FastAPI without it has every router merged).
_DEFAULT_LIFESPAN: Any = getattr(fastapi.routing, "_DefaultLifespan", None)


def _inert(router: APIRouter) -> bool:
    """Whether merging `router`'s lifespan into an app's would run nothing."""
    lifespan = router.lifespan_context
    return (
        _DEFAULT_LIFESPAN is not None
        and type(lifespan) is _DEFAULT_LIFESPAN
        and getattr(lifespan, "_router", None) is router
        and not router.on_startup
        and not router.on_shutdown
    )


def include_router(app: FastAPI, router: APIRouter, **options: Any) -> None:
    """`app.include_router(router, **options)`, the app's lifespan left unnested when
    `router`'s would do nothing (and nothing at all for such a router without routes:
    FastAPI would add no route, handler or lifespan)."""
    if not _inert(router):
        app.include_router(router, **options)
        return
    if not router.routes and not options:
        return
    lifespan = app.router.lifespan_context
    app.include_router(router, **options)
    app.router.lifespan_context = lifespan


class FlatIncludes:
    """The `app_ref` PyNest's `RoutesResolver` sees: its `include_router` is the one
    above, everything else (websocket gateways) goes straight to the app."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def include_router(self, router: APIRouter, **options: Any) -> None:
        include_router(self._app, router, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)
