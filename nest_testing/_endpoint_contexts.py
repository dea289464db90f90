"""FastAPI's error context of a testing module's endpoints, forgotten with the module.

FastAPI names the endpoint behind a validation error (`ResponseValidationError`,
`RequestValidationError`: its file, line and function) from a process-wide cache keyed
by `id(endpoint)`, filled on each endpoint's first request and never emptied. A testing
module's endpoints are bound methods of its own controllers: new objects in every
module, freed after it closes, whose ids later objects reuse. Left in that cache, a
closed module's entries grow it by one per requested route and module, and hand a later
module's endpoint the file, line and name of another when its id comes round again (seen
in a suite: a response validation error naming the endpoint of a module closed before).

So when a module's app is done (its lifespan over, at close), the entries of its routes'
endpoints are dropped; the next module's first request fills its own, as FastAPI does.
An entry is dropped only for an endpoint alive at that moment, so it cannot be another
object's. A FastAPI without that cache (older releases) is left alone.
"""

from __future__ import annotations

from typing import Any

import fastapi.routing

# FastAPI's own, private, cache (fastapi.routing._extract_endpoint_context).
_CACHE: Any = getattr(fastapi.routing, "_endpoint_context_cache", None)


def forget_endpoint_contexts(app: Any) -> None:
    """Drop FastAPI's cached error context of each endpoint of `app`'s routes (and of
    the routes of what is mounted in it)."""
    if not isinstance(_CACHE, dict):
        return
    pending = list(getattr(getattr(app, "router", None), "routes", ()))
    seen: set[int] = set()
    while pending:
        route = pending.pop()
        if id(route) in seen:
            continue
        seen.add(id(route))
        call = getattr(getattr(route, "dependant", None), "call", None)
        if call is not None:
            _CACHE.pop(id(call), None)
        pending.extend(getattr(route, "routes", None) or ())  # a Mount's or Host's
