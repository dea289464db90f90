"""Guard and filter overrides, applied to one app's routes after PyNest registered them.

PyNest reads `@UseGuards` / `@UseFilters` from class attributes when it registers a
route. Patching those attributes would change every app in the process; instead the
replacement is applied to what this app's routes hold:

- a guard becomes, per route, a `Depends` on a function made by
  `BaseGuard.as_dependency()`; this app's `dependency_overrides` (FastAPI's testing
  seam) maps that function to the replacement's dependency;
- a route with filters gets a list of them of its own (built per route by PyNest's
  `_add_route`); the entries for the overridden filter are swapped in that list.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from nest.core.decorators.guards import BaseGuard

from nest_testing._closures import closure_variables
from nest_testing._override_steps import RouteFactory
from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import ProviderConstructionError, UnknownOverrideError, UsageError


def _guard_class(call: Any) -> type | None:
    """The guard class behind a `BaseGuard.as_dependency()` function, if `call` is one."""
    if not getattr(call, "__qualname__", "").startswith("BaseGuard.as_dependency."):
        return None
    guard = closure_variables(call).get("cls")
    return guard if isinstance(guard, type) else None


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route


def guards_in_use(app: FastAPI) -> dict[type, list[Callable[..., Any]]]:
    """Each guard class on the app's routes -> the dependency functions that run it."""
    found: dict[type, list[Callable[..., Any]]] = {}
    for route in _api_routes(app):
        for dependant in route.dependant.dependencies:
            guard = _guard_class(dependant.call)
            if guard is not None and dependant.call is not None:
                found.setdefault(guard, []).append(dependant.call)
    return found


def guard_dependency(replacement: object) -> Callable[..., Any]:
    """The dependency function that runs `replacement` (a guard class or instance) on
    each request, as PyNest runs a guard."""
    if isinstance(replacement, type) and issubclass(replacement, BaseGuard):
        guard_class: Any = replacement  # PyNest is untyped
        dependency: Callable[..., Any] = guard_class.as_dependency().dependency
        return dependency
    if isinstance(replacement, BaseGuard):
        guard = replacement

        async def run_instance(request: Request) -> None:
            await guard(request)

        return run_instance
    raise UsageError(
        f"override_guard() expects a BaseGuard subclass or instance, got {replacement!r}."
    )


def override_guards(app: FastAPI, replacements: dict[type, object]) -> None:
    if not replacements:
        return
    in_use = guards_in_use(app)
    unknown = [g for g in replacements if g not in in_use]
    if unknown:
        raise unknown_route_override("override_guard", unknown, list(in_use), "guard")
    for guard, replacement in replacements.items():
        dependency = guard_dependency(replacement)
        for call in in_use[guard]:
            app.dependency_overrides[call] = dependency


def _route_filters(route: APIRoute) -> list[Any] | None:
    """The per-route filter list PyNest's filter wrapper closes over, if any."""
    endpoint = route.endpoint
    filters = closure_variables(endpoint).get("filters")
    return filters if isinstance(filters, list) else None


def _filter_class(item: object) -> type:
    return item if isinstance(item, type) else type(item)


def override_filters(app: FastAPI, replacements: dict[type, object]) -> None:
    if not replacements:
        return
    per_route = [f for route in _api_routes(app) if (f := _route_filters(route)) is not None]
    in_use = {_filter_class(item) for filters in per_route for item in filters}
    unknown = [f for f in replacements if f not in in_use]
    if unknown:
        raise unknown_route_override("override_filter", unknown, list(in_use), "filter")
    for filters in per_route:
        for index, item in enumerate(filters):
            replacement = replacements.get(_filter_class(item))
            if replacement is not None:
                filters[index] = replacement


def unknown_route_override(
    method: str, unknown: list[type], in_use: list[type], kind: str
) -> UnknownOverrideError:
    """An override of a guard, filter or pipe that no route of the app uses."""
    names = ", ".join(token_name(u) for u in unknown)
    used = ", ".join(token_name(u) for u in in_use) or "none"
    suggestion = did_you_mean(unknown[0], in_use)
    return UnknownOverrideError(
        f"{method}({names}): no route of this testing module uses it.{suggestion} "
        f"{kind.capitalize()}s in use: {used}.",
        token=unknown[0],
    )


def built(
    replacements: Mapping[type, object], get: Callable[[Any], Any], method: str
) -> dict[type, object]:
    """`replacements` with each `use_factory` made: `factory(*inject)`, the tokens
    resolved from the module's container."""
    made: dict[type, object] = {}
    for target, replacement in replacements.items():
        if isinstance(replacement, RouteFactory):
            replacement = _made(target, replacement, get, method)
        made[target] = replacement
    return made


def _made(target: type, step: RouteFactory, get: Callable[[Any], Any], method: str) -> object:
    name = getattr(step.factory, "__name__", None) or repr(step.factory)
    where = f"{method}({token_name(target)}).use_factory({name})"
    args = [get(token) for token in step.inject]
    try:
        value = step.factory(*args)
    except Exception as exc:
        raise ProviderConstructionError(f"{where}: {exc!r}", token=target) from exc
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited: say so rather than warn
        raise UsageError(
            f"{where}: the factory is async; the replacement is made while the app is "
            "assembled, so give a synchronous factory (resolve what it awaits in a "
            "provider's use_factory and inject that)."
        )
    return value
