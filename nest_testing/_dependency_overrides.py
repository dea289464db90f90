"""`builder.override_dependency(dependency, replacement)`: FastAPI `Depends` overrides.

Routes of real PyNest apps take `session = Depends(config.get_db)`: a function of a
module-level object, out of reach of the container. FastAPI's own testing seam,
`app.dependency_overrides`, replaces it per app; this module checks that the
dependency is one the module's routes use and puts the replacement there, in this
module's app only. It does not count constructions (`_depends.count_depends`, which
runs after it, builds a replacement class through the counter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from nest.core.pynest_application import PyNestApp

from nest_testing._depends import walk_dependants
from nest_testing._extensions import ModuleExtension
from nest_testing._routes import _guard_class
from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import UnknownOverrideError, UsageError


def dependencies_in_use(app: FastAPI) -> list[Callable[..., Any]]:
    """Every callable used as a `Depends()` on the app's routes, at any depth, in route
    order; PyNest's per-route guard functions left out (`override_guard` is for those)."""
    found: dict[Any, None] = {}
    for route in app.routes:
        if isinstance(route, (APIRoute, APIWebSocketRoute)):
            for dependant in walk_dependants(route.dependant):
                call = dependant.call
                if call is not None and _guard_class(call) is None:
                    found.setdefault(call)
    return list(found)


def _name(dependency: object) -> str:
    """`get_db`, `OrmProvider.get_db`, `Marker`: as the user wrote it, without the
    `<locals>` of a function defined in a test."""
    return token_name(dependency).rpartition("<locals>.")[2]


class DependencyOverrides(ModuleExtension):
    """The builder's `override_dependency` calls, applied when the app is finished
    (routes added by `configure_app` callbacks and `Test.from_app` are there)."""

    def __init__(self) -> None:
        self._overrides: dict[Any, Callable[..., Any]] = {}

    def add(self, dependency: object, replacement: object) -> None:
        if not callable(dependency):
            raise UsageError(
                "override_dependency() expects the callable a route passes to Depends(...) "
                f"(a function, a class, a bound method such as config.get_db), got "
                f"{dependency!r}."
            )
        if not callable(replacement):
            raise UsageError(
                f"override_dependency({token_name(dependency)}, ...) expects a callable "
                f"replacement (FastAPI calls it per request, as it would call "
                f"{token_name(dependency)}), got {replacement!r}. For a fixed value, pass "
                "`lambda: value`."
            )
        self._overrides[dependency] = replacement

    def finish_app(self, app: PyNestApp) -> None:
        if not self._overrides:
            return
        http_server: FastAPI = app.http_server
        used = dependencies_in_use(http_server)
        unknown = [dependency for dependency in self._overrides if dependency not in used]
        if unknown:
            names = [_name(d) for d in used]
            lines = [
                f"  {_name(dependency)}: no route of this testing module uses "
                f"Depends({_name(dependency)}).{did_you_mean(_name(dependency), names, str)}"
                for dependency in unknown
            ]
            raise UnknownOverrideError(
                "override_dependency(): cannot override what no route depends on:\n"
                + "\n".join(lines)
                + "\nDependencies the routes use: "
                + (", ".join(names) or "none")
                + ".",
                token=unknown[0],
            )
        http_server.dependency_overrides.update(self._overrides)
