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

Finding an endpoint's line reads and tokenizes its source file: most of the extra cost
of a module's first request. A route made from a template (see
`nest_testing._route_templates`) calls the same function, bound to another instance, in
every module, so its context is worked out once per function (as FastAPI works it out
for the bound method: file, line and name are the function's) and each module's entry
is a fresh copy of it, put in the cache when the route's request handler is made.
"""

from __future__ import annotations

import threading
import weakref
from types import CodeType
from typing import Any

import fastapi.routing

# FastAPI's own, private, cache (fastapi.routing._extract_endpoint_context).
_CACHE: Any = getattr(fastapi.routing, "_endpoint_context_cache", None)
_EXTRACT: Any = getattr(fastapi.routing, "_extract_endpoint_context", None)
# FastAPI's own route classes (not subclasses): their dependant is an instance attribute
# and they mount nothing.
_LEAVES = frozenset({fastapi.routing.APIRoute, fastapi.routing.APIWebSocketRoute})


def forget_endpoint_contexts(app: Any) -> None:
    """Drop FastAPI's cached error context of each endpoint of `app`'s routes (and of
    the routes of what is mounted in it)."""
    if not isinstance(_CACHE, dict):
        return
    pop = _CACHE.pop
    pending = list(getattr(getattr(app, "router", None), "routes", ()))
    seen: set[int] = set()
    while pending:
        route = pending.pop()
        if type(route) in _LEAVES:  # most of them, every module twice: no set, no getattr
            call = getattr(route.__dict__.get("dependant"), "call", None)
            if call is not None:
                pop(id(call), None)
            continue
        if id(route) in seen:
            continue
        seen.add(id(route))
        call = getattr(getattr(route, "dependant", None), "call", None)
        if call is not None:
            pop(id(call), None)
        pending.extend(getattr(route, "routes", None) or ())  # a Mount's or Host's


# function -> (its code then, its context): a function given new code is worked out again.
_CONTEXTS: weakref.WeakKeyDictionary[Any, tuple[CodeType | None, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
_CONTEXTS_LOCK = threading.Lock()  # modules on several loop threads fill it at once


def _context_of(function: Any) -> dict[str, Any]:
    """FastAPI's `_extract_endpoint_context` of `function` (or of a method bound to it),
    worked out once per function and code."""
    code = getattr(function, "__code__", None)
    with _CONTEXTS_LOCK:
        known = _CONTEXTS.get(function)
    if known is not None and known[0] is code:
        return known[1]
    # FastAPI's own extraction, keyed in its cache by the function's id only for as long
    # as this takes: the function may die, and its id be another's.
    key = id(function)
    known_to_fastapi = key in _CACHE
    context = dict(_EXTRACT(function))
    if not known_to_fastapi:
        _CACHE.pop(key, None)
    with _CONTEXTS_LOCK:
        _CONTEXTS[function] = (code, context)
    return context


def fill_endpoint_context(call: Any, function: Any) -> None:
    """Put the error context of `call`, a method bound to `function`, in FastAPI's cache
    (a copy of its own: FastAPI adds the route's path to it), unless it is there."""
    if (
        not isinstance(_CACHE, dict)
        or _EXTRACT is None
        or getattr(call, "__func__", None) is not function
    ):
        return
    key = id(call)
    if key not in _CACHE:
        _CACHE[key] = dict(_context_of(function))
