"""`Test.from_app(app)`: what the deployed `PyNestApp` was given outside its modules.

A user's `app_module.py` ends with `app = PyNestFactory.create(AppModule, title=...,
debug=True)` and then configures `app.get_server()`: middleware, exception handlers,
startup handlers, a route or two. None of that is in the module graph. This module
snapshots it from the production app's FastAPI object and re-applies it to a testing
module's own, fresh FastAPI app, as a `nest_testing._extensions.ModuleExtension`.

It reads the production app and never changes it: the FastAPI settings are read back
from the attributes `FastAPI.__init__` stores them in (for each of its parameters),
lists and dicts are copied, route objects that know their app are rebound to the new
app. It does not build the module graph (the builder does, from the app's root module)
and does not copy what the app did to objects outside the app.
"""

from __future__ import annotations

import copy
import inspect
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import fastapi.exception_handlers
import fastapi.routing
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, request_response
from nest.common.module import ModuleCompiler
from nest.core.decorators.http_method import HTTPMethod
from nest.core.pynest_application import PyNestApp
from starlette.datastructures import State
from starlette.routing import BaseRoute

from nest_testing._app_options import fastapi_parameters
from nest_testing._closures import closure_variables
from nest_testing._extensions import ModuleExtension
from nest_testing.errors import NestTestingError, UsageError

# FastAPI parameters stored under the same name on the app ...
_ON_APP = (
    "debug", "title", "summary", "description", "version", "openapi_url", "openapi_tags",
    "servers", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url",
    "swagger_ui_init_oauth", "terms_of_service", "contact", "license_info", "root_path",
    "root_path_in_servers", "swagger_ui_parameters", "separate_input_output_schemas",
    "openapi_external_docs", "webhooks",
)  # fmt: skip
# ... on its router ...
_ON_ROUTER = (
    "dependencies", "default_response_class", "redirect_slashes", "responses", "callbacks",
    "deprecated", "include_in_schema", "generate_unique_id_function", "strict_content_type",
)  # fmt: skip
# ... recovered otherwise (see DeployedApp) ...
_DERIVED = ("middleware", "exception_handlers", "on_startup", "on_shutdown", "lifespan", "extra")
# ... and not passed, with the reason.
NOT_PASSED = {
    "routes": "routes are carried over one by one (PyNest's are rebuilt for the testing module)",
    "openapi_prefix": "FastAPI folds it into root_path, which is copied",
}
_FASTAPI_DEFAULT_HANDLERS = {
    fastapi.exception_handlers.http_exception_handler,
    fastapi.exception_handlers.request_validation_exception_handler,
    fastapi.exception_handlers.websocket_request_validation_exception_handler,
}


def unknown_fastapi_parameters() -> list[str]:
    """Parameters of this FastAPI's `__init__` that `DeployedApp` does not know
    how to recover (empty on the FastAPI this release was checked against)."""
    handled = {*_ON_APP, *_ON_ROUTER, *_DERIVED, *NOT_PASSED}
    return [name for name in fastapi_parameters() if name not in handled]


def is_click_group(candidate: object) -> bool:
    """Whether `candidate` is a `click.Group`, what PyNest's CLI template's `app` is
    (checked by name: nothing of click is imported for it)."""
    kind = type(candidate)
    return f"{kind.__module__}.{kind.__qualname__}" == "click.core.Group"


def root_module_of(app: object, method: str = "Test.from_app") -> type:
    """The root `@Module` class the `PyNestApp` was created from.

    `PyNestContainer.add_module` registers a module's imports before the module
    itself, so the module `PyNestFactory.create` was given is the last one registered.
    """
    if is_click_group(app):
        raise UsageError(
            f"{method}() got {app!r}, a CLI app's click group (CLIAppFactory().create("
            "AppModule)), which keeps nothing to read back. Test its module class: "
            "Test.create_testing_module(imports=[AppModule]).compile(), then "
            "module.invoke(['user', 'list']) runs a command as the CLI would."
        )
    if not isinstance(app, PyNestApp):
        raise UsageError(
            f"{method}() expects the PyNestApp that PyNestFactory.create(AppModule, ...) "
            f"returned (the `app` of your app_module.py), got {app!r}. For a module class, "
            "use Test.create_testing_module(imports=[AppModule])."
        )
    refs = list(app.container.modules.values())
    if not refs or not ModuleCompiler.has_module_metadata(refs[-1].metatype):
        raise UsageError(f"{method}(): {app!r} has no registered @Module in its container.")
    root: type = refs[-1].metatype
    return root


# Held weakly by the app, never written into it.
_ROUTE_COUNTS: weakref.WeakKeyDictionary[PyNestApp, int] = weakref.WeakKeyDictionary()


def _pynest_route_count(app: PyNestApp) -> int:
    """How many routes PyNest's `RoutesResolver.register_routes` added to the app: one
    per HTTP method of each distinct controller, one per distinct websocket gateway.
    Counted from the classes, so nothing of the production app is touched; once per app
    (PyNest registered them when the app was created, and every test's
    `Test.from_app(app)` asks again: the scan was a third of a 100 x 20 one)."""
    count = _ROUTE_COUNTS.get(app)
    if count is None:
        count = _ROUTE_COUNTS[app] = _counted_routes(app)
    return count


def _counted_routes(app: PyNestApp) -> int:
    controllers: set[type] = set()
    gateways: set[type] = set()
    count = 0
    for ref in app.container.modules.values():
        for controller in ref.compiled.controllers:
            if controller in controllers:
                continue
            controllers.add(controller)
            count += sum(
                isinstance(getattr(member, "__http_method__", None), HTTPMethod)
                for _, member in inspect.getmembers(controller, predicate=callable)
            )
        for descriptor in ref.compiled.provider_descriptors:
            gateway = descriptor.use_class
            if gateway is not None and hasattr(gateway, "__websocket_gateway__"):
                if gateway not in gateways:
                    count += 1
                gateways.add(gateway)
    return count


def _is_setup_route(route: BaseRoute) -> bool:
    """A route `FastAPI.setup()` added (OpenAPI, docs, redoc): the new app makes its own."""
    endpoint = getattr(route, "endpoint", None)
    return str(getattr(endpoint, "__qualname__", "")).startswith("FastAPI.setup.<locals>.")


def extra_routes(app: PyNestApp) -> list[BaseRoute]:
    """The routes added on `http_server` directly, after PyNest registered its own."""
    routes = [r for r in app.http_server.router.routes if not _is_setup_route(r)]
    pynest = _pynest_route_count(app)
    if any(not isinstance(r, (APIRoute, APIWebSocketRoute)) for r in routes[:pynest]):
        raise NestTestingError(
            "Test.from_app(): cannot tell the routes PyNest registered for the controllers "
            f"from the ones added on http_server (expected {pynest} FastAPI routes first, "
            f"found {[type(r).__name__ for r in routes[:pynest]]}). Build the module with "
            "Test.create_testing_module(imports=[AppModule]) and add your extra routes "
            "with configure_app()."
        )
    return routes[pynest:]


def _closure(function: Any) -> dict[str, Any]:
    """The free variables of a lifespan context: of the function an
    `asynccontextmanager` wraps, or of `function` itself. (A 100-module app's lifespan
    is 100 closures deep, walked once per `Test.from_app`.)"""
    return closure_variables(getattr(function, "__wrapped__", function))


def user_lifespan(app: PyNestApp) -> Callable[..., Any] | None:
    """The `lifespan=` the app was created with, or `None`.

    `PyNestApp` wraps `router.lifespan_context` (to close the container at shutdown)
    and each `include_router` merges the included router's lifespan on top. Under all
    of that is the context FastAPI made from the `lifespan` argument, or its default
    one that runs the `on_startup` / `on_shutdown` handlers.
    """
    default = fastapi.routing._DefaultLifespan
    context: Any = app.http_server.router.lifespan_context
    while True:
        cells = _closure(context)
        if "original_context" in cells and "nested_context" in cells:  # include_router
            if not isinstance(cells["nested_context"], default):
                raise NestTestingError(
                    "Test.from_app(): a router included in http_server has a lifespan of "
                    "its own; it is not carried over. Pass it with "
                    "builder.app_options(lifespan=...) or add it in configure_app()."
                )
            context = cells["original_context"]
        elif "original_lifespan_context" in cells:  # PyNestApp's shutdown wrapper
            base = cells["original_lifespan_context"]
            return None if isinstance(base, default) else base
        else:
            raise NestTestingError(
                "Test.from_app(): http_server.router.lifespan_context was replaced after "
                "PyNestFactory.create(); it is not carried over. Pass the lifespan with "
                "builder.app_options(lifespan=...)."
            )


def _rebound(route: BaseRoute, http_server: FastAPI) -> BaseRoute:
    """`route` as a route of `http_server`: FastAPI routes resolve dependency
    overrides through their app, so they get a request handler of their own; the
    others (`Route`, `Mount`, `WebSocketRoute`) hold nothing of the app."""
    if isinstance(route, APIRoute):
        clone = copy.copy(route)
        clone.dependency_overrides_provider = http_server
        clone.app = request_response(clone.get_route_handler())
        return clone
    if isinstance(route, APIWebSocketRoute):
        http_server.add_api_websocket_route(
            route.path, route.endpoint, name=route.name, dependencies=route.dependencies
        )
        added: BaseRoute = http_server.router.routes.pop()
        return added
    return route


class DeployedApp(ModuleExtension):
    """The production app's settings, middleware, handlers and extra routes, re-applied
    to the testing module's FastAPI app."""

    def __init__(self, app: PyNestApp) -> None:
        server: FastAPI = app.http_server
        router = server.router
        missing = unknown_fastapi_parameters()
        if missing:
            raise NestTestingError(
                "Test.from_app(): this FastAPI takes parameters nest-testing does not know "
                f"how to read back from an app: {', '.join(missing)}."
            )
        options: dict[str, Any] = {name: getattr(server, name) for name in _ON_APP}
        options.update({name: getattr(router, name) for name in _ON_ROUTER})
        options["servers"] = list(server.servers)
        options["dependencies"] = list(router.dependencies)
        options["middleware"] = list(server.user_middleware)
        options["exception_handlers"] = {
            key: handler
            for key, handler in server.exception_handlers.items()
            if handler not in _FASTAPI_DEFAULT_HANDLERS
        }
        options["on_startup"] = list(router.on_startup)
        options["on_shutdown"] = list(router.on_shutdown)
        options["lifespan"] = user_lifespan(app)
        options.update(server.extra)
        self._options = options
        self._routes = extra_routes(app)
        self._state = dict(server.state._state)
        self._openapi_version = server.openapi_version

    def app_options(self) -> Mapping[str, Any]:
        return dict(self._options)

    def configure_app(self, app: PyNestApp) -> None:
        http_server: FastAPI = app.http_server
        http_server.state = State(dict(self._state))
        http_server.openapi_version = self._openapi_version
        routes = http_server.router.routes
        routes.extend(_rebound(route, http_server) for route in self._routes)
