"""FastAPI's error context of a testing module's endpoints, right for this module.

FastAPI names the endpoint behind a validation error (`ResponseValidationError`,
`RequestValidationError`: its file, line and function) from a process-wide cache keyed
by `id(endpoint)`, filled on each endpoint's first request and never emptied. A testing
module's endpoints are bound methods of its own controllers: new objects in every
module, freed after it closes, whose ids later objects reuse. So the cache holds entries
of endpoints long gone (of earlier modules, or of any app the process built: a
`PyNestFactory.create` in another test), and a new endpoint that takes over such an id
is named after the dead one (seen in a suite: 6 of 240 response validation errors named
another endpoint); and it grows by one entry per requested route and module.

So a module drops the entries under its endpoints' ids twice: when its app is assembled
(an entry already there was made for a dead object, since ids are unique among live
ones), so that FastAPI fills a true one on the first request; and when the app is done
(its lifespan over, at close), so that the cache does not grow with the suite. A route
added later by the test itself is FastAPI's business. A FastAPI without that cache
(older releases) is left alone.
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
