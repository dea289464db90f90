"""Route templates: FastAPI's route objects for a controller method, built once, reused.

Registering routes is about half of compiling an app: for each controller method PyNest
hands FastAPI an endpoint, and FastAPI builds an `APIRoute` twice (once on the
controller's router, once again when the app includes that router), deriving the
parameters, the response model and their pydantic validators from the endpoint's
signature each time. None of that depends on the controller *instance*; only the
endpoint (a bound method) and what closes over it do.

So, when the blueprint cache is on, a testing module registers its routes with
`ReusingRoutesResolver`, PyNest's own `RoutesResolver` with one seam changed:

- PyNest's `_add_route` still decides everything about each route (path, methods,
  status code, guards, filter and parameter wrappers); only the resulting
  `add_api_route` call is held back;
- when the router is included, a route whose endpoint is the controller's method itself
  (no filter or parameter-decorator wrapper) and whose arguments equal those of a route
  FastAPI built before, in an app whose own router adds the same to every route
  (dependencies, responses, ...), is a copy of that route with the new endpoint, its request
  handler rebuilt for this app. Guards are the one per-route argument: PyNest makes each
  guard's `Depends` anew for every route; when the new ones are made by the same code
  for the same guard classes, the copy gets them (and the dependants that call them), so
  `override_guard` and `dependency_overrides` see this module's own. Anything else is
  built by FastAPI, as PyNest does, and becomes a template for next time.

Templates never hold an instance: they keep the plain function, so a test cannot reach
another test's controller through them. A template is only made from a route whose
attributes are exactly the ones this code knows how to rebind; a FastAPI that adds
others gets its routes built the ordinary way.
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
import weakref
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute, request_response
from nest.common.route_resolver import RoutesResolver
from nest.core.decorators.controller import _collect_guards
from nest.core.decorators.http_method import HTTPMethod
from nest.core.pynest_application import PyNestApp

from nest_testing._endpoint_contexts import fill_endpoint_context
from nest_testing._function_state import MUTABLE, FunctionState, frozen, names
from nest_testing._lifespans import FlatIncludes, include_router
from nest_testing._lru import LRU

V = TypeVar("V")

MAX_TEMPLATES = 4096  # grows to the largest app's routes

# What an APIRoute holds that derives from its endpoint and this app (rebuilt per copy),
# and what it holds that does not (shared with the template, as built by FastAPI).
_REBOUND = frozenset(
    {"endpoint", "dependant", "_flat_dependant", "dependency_overrides_provider", "app"}
)
_SHARED = frozenset(
    {
        "_embed_body_fields", "body_field", "callbacks", "dependencies", "deprecated",
        "description", "generate_unique_id_function", "include_in_schema",
        "is_json_stream", "is_sse_stream", "methods", "name", "openapi_extra",
        "operation_id", "param_convertors", "path", "path_format", "path_regex",
        "response_class", "response_description", "response_field", "response_fields",
        "response_model", "response_model_by_alias", "response_model_exclude",
        "response_model_exclude_defaults", "response_model_exclude_none",
        "response_model_exclude_unset", "response_model_include", "responses",
        "status_code", "stream_item_field", "stream_item_type", "strict_content_type",
        "summary", "tags", "unique_id",
    }
)  # fmt: skip
_DEPENDANT_FIELDS = frozenset(
    {
        "background_tasks_param_name", "body_params", "call", "cookie_params",
        "dependencies", "header_params", "http_connection_param_name", "name",
        "own_oauth_scopes", "parent_oauth_scopes", "path", "path_params", "query_params",
        "request_param_name", "response_param_name", "scope", "security_scopes_param_name",
        "use_cache", "websocket_param_name",
    }
)  # fmt: skip
_KNOWN_FASTAPI = {
    f.name for f in dataclasses.fields(Dependant)
} == _DEPENDANT_FIELDS and not hasattr(Dependant, "__post_init__")
# What a Dependant caches about the kind of its `call` (generator, coroutine, ...): for a
# bound method, what its function is, so the same for every instance it is bound to.
# (Its other cached properties, such as `cache_key`, are the call's own: never copied.)
_CALL_KIND = ("is_gen_callable", "is_async_gen_callable", "is_coroutine_callable")
# What of the app's own router FastAPI folds into every route included into it (its
# include_router and add_api_route): a template serves only apps whose router has the same.
_APP_ROUTER = (
    "callbacks", "default_response_class", "dependencies", "deprecated",
    "generate_unique_id_function", "include_in_schema", "responses", "route_class",
    "strict_content_type", "tags",
)  # fmt: skip


def _app_router(app: FastAPI) -> tuple[Any, ...]:
    """Those settings now (lists and dicts copied: a user may edit the router's later)."""
    values = (getattr(app.router, name, None) for name in _APP_ROUTER)
    return tuple(
        list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v for v in values
    )


@dataclasses.dataclass(frozen=True)
class _Template:
    arguments: dict[str, Any]  # PyNest's add_api_route arguments, less the per-route ones
    dependencies: list[Any]  # the guards' Depends the template was built with
    tags: list[Any]  # the controller router's tags
    app_router: tuple[Any, ...]  # the settings of the app's router it was included into
    function: Any  # the controller method's function
    state: FunctionState  # what its attributes and signature were made of
    route: APIRoute  # the app's route, endpoint unbound, no request handler
    kinds: tuple[dict[str, Any], dict[str, Any]]  # _CALL_KIND of its dependant, flat one


class RouteTemplates(Generic[V]):
    """A bounded, thread-safe map: (controller class, method) -> template, or controller
    class -> what registering it made (`_Controller`); the bound grows to the app."""

    def __init__(self, size: int = MAX_TEMPLATES) -> None:
        self._templates: LRU[Hashable, V] = LRU(size)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            template = self._templates.get(key)
            if template is None:
                self.misses += 1
            else:
                self.hits += 1
            return template

    def put(self, key: Hashable, template: V, *, room: int = 0) -> None:
        """Keep `template`; the cache holds at least `room` (the app's routes so far)."""
        with self._lock:
            self._templates.fit(room)
            self._templates.put(key, template)

    def __len__(self) -> int:
        return len(self._templates)

    def clear(self) -> None:
        with self._lock:
            self._templates.clear()
            self.hits = self.misses = 0


TEMPLATES: RouteTemplates[_Template] = RouteTemplates()
CONTROLLERS: RouteTemplates[_Controller] = RouteTemplates()


_NO_KINDS: tuple[dict[str, Any], dict[str, Any]] = ({}, {})


def _rebound(
    route: APIRoute,
    endpoint: Any,
    app: FastAPI | None,
    dependencies: Sequence[Any] = (),
    kinds: tuple[dict[str, Any], dict[str, Any]] = _NO_KINDS,
) -> APIRoute:
    """`route` for `endpoint` (same function, other instance) in `app`: what
    `APIRoute.__init__` derives from the endpoint's signature is shared; the endpoint,
    the dependants that call it and the request handler are this route's own. The
    route's `dependencies` (PyNest's guards, made per route) are `dependencies`, made
    by the same code as the template's: FastAPI put their dependants first. `kinds`:
    what the dependants cache about the kind of callable the endpoint is."""
    clone = _copied(route)
    clone.endpoint = endpoint
    clone.dependant = _calling(route.dependant, endpoint, kinds[0])
    if dependencies:
        subs = clone.dependant.dependencies
        for index, depends in enumerate(dependencies):
            subs[index] = dataclasses.replace(subs[index], call=depends.dependency)
        clone._flat_dependant = get_flat_dependant(clone.dependant)
    else:
        clone._flat_dependant = _calling(route._flat_dependant, endpoint, kinds[1], lists=False)
    # Lists and dicts a user (or configure_app) might edit on one app's route.
    clone.tags = list(route.tags)
    clone.dependencies = list(dependencies or route.dependencies)
    clone.responses = dict(route.responses)
    if app is None:
        clone.dependency_overrides_provider = None
        clone.app = None  # type: ignore[assignment]  # a template serves no requests
    else:
        clone.dependency_overrides_provider = app.router.dependency_overrides_provider
        clone.app = _FirstRequest(route, clone)
    return clone


class _FirstRequest:
    """A reused route's ASGI app until its first request: then the request handler
    FastAPI's `get_route_handler` makes, from what the route held when it was made (its
    dependant and this app; the rest is the template's, never changed), as FastAPI
    would have made it then. Most routes of a testing module never see a request, so
    most handlers are never made."""

    __slots__ = ("_dependant", "_provider", "_route", "_template")

    def __init__(self, template: APIRoute, route: APIRoute) -> None:
        self._template = template
        self._route = route
        self._dependant = route.dependant
        self._provider = route.dependency_overrides_provider

    def handler(self) -> Any:
        """`request_response(route.get_route_handler())` for the route as it was made;
        FastAPI's error context of its endpoint filled from the template's function."""
        fill_endpoint_context(self._dependant.call, self._template.endpoint)
        view = _copied(self._template)
        view.dependant = self._dependant
        view.dependency_overrides_provider = self._provider
        return request_response(view.get_route_handler())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.handler()
        if self._route.app is self:  # not replaced since (configure_app may wrap it)
            self._route.app = app
        await app(scope, receive, send)


def _copied(route: APIRoute) -> APIRoute:
    """`copy.copy(route)`, as `copy` makes it (a new object with the same `__dict__`),
    without going through `__reduce_ex__` (templates are made of plain `APIRoute`s)."""
    clone: APIRoute = object.__new__(APIRoute)
    clone.__dict__ = route.__dict__.copy()  # a plain dict copy: cheaper than update()
    return clone


def _calling(
    dependant: Dependant, endpoint: Any, kind: Mapping[str, Any], *, lists: bool = True
) -> Dependant:
    """`dependant` calling `endpoint`, with lists of its own (the fields in them,
    sub-dependants included, are shared: FastAPI does not change them once built), and
    the `kind` of callable it is cached. As `dataclasses.replace` makes it (its fields
    set, no `__post_init__`), without going through `__init__`. Without `lists`, its
    lists are `dependant`'s: for a route's flat dependant, which FastAPI reads only
    while it makes the route (a template's was made and read once, by FastAPI)."""
    fields = dependant.__dict__
    if len(fields) == len(_DEPENDANT_FIELDS):  # its fields only, nothing cached on it yet
        own = fields.copy()
    else:
        own = {name: fields[name] for name in _DEPENDANT_FIELDS}
    own.update(kind)
    own["call"] = endpoint
    if lists:
        own["path_params"] = list(own["path_params"])
        own["query_params"] = list(own["query_params"])
        own["header_params"] = list(own["header_params"])
        own["cookie_params"] = list(own["cookie_params"])
        own["body_params"] = list(own["body_params"])
        own["dependencies"] = list(own["dependencies"])
    clone: Dependant = object.__new__(Dependant)
    clone.__dict__ = own
    return clone


def _kind(dependant: Dependant) -> dict[str, Any]:
    """What FastAPI cached about the kind of `dependant`'s call, so far."""
    return {name: dependant.__dict__[name] for name in _CALL_KIND if name in dependant.__dict__}


def _template_of(
    route: Any, arguments: dict[str, Any], tags: list[Any], app_router: tuple[Any, ...]
) -> _Template | None:
    """A template from a route FastAPI built, when it is one this module can rebind."""
    endpoint = arguments.get("endpoint")
    dependencies = list(arguments.get("dependencies") or ())
    if (
        not _KNOWN_FASTAPI
        or type(route) is not APIRoute
        or not inspect.ismethod(endpoint)
        or route.endpoint is not endpoint
        or set(vars(route)) != _REBOUND | _SHARED
        or route.dependencies != dependencies
        or [d.call for d in route.dependant.dependencies[: len(dependencies)]]
        != [d.dependency for d in dependencies]
    ):
        return None
    state = FunctionState.of(endpoint.__func__)
    if state is None:  # not a plain function: no telling if it changed
        return None
    stripped = _rebound(route, endpoint.__func__, None)
    return _Template(
        state=state,
        arguments=_static(arguments),
        dependencies=dependencies,
        tags=list(tags),
        app_router=app_router,
        function=endpoint.__func__,
        route=stripped,
        kinds=(_kind(route.dependant), _kind(route._flat_dependant)),
    )


def _static(arguments: dict[str, Any]) -> dict[str, Any]:
    """PyNest's `add_api_route` arguments less the ones made per route: the endpoint and
    the guards' dependencies."""
    return {k: v for k, v in arguments.items() if k not in ("endpoint", "dependencies")}


def _same_dependencies(made: Sequence[Any], now: Sequence[Any]) -> bool:
    """Whether `now` are dependencies made by the same code, for the same things, as
    `made` (PyNest makes a guard's `Depends` per route: a new function each time,
    closing over the guard class)."""
    return len(made) == len(now) and all(
        type(a) is type(b)
        and dataclasses.replace(a, dependency=None) == dataclasses.replace(b, dependency=None)
        and _same_function(a.dependency, b.dependency)
        for a, b in zip(made, now, strict=True)
    )


def _same_function(a: Any, b: Any) -> bool:
    if a is b:
        return True
    code = getattr(a, "__code__", None)
    if code is None or code is not getattr(b, "__code__", None):
        return False
    cells = zip(a.__closure__ or (), b.__closure__ or (), strict=True)
    return (
        all(x.cell_contents is y.cell_contents for x, y in cells)
        and a.__defaults__ == b.__defaults__
        and a.__kwdefaults__ == b.__kwdefaults__
    )


@dataclasses.dataclass(frozen=True)
class _Controller:
    """A controller class whose every route came from (or became) a template when it was
    registered: enough to register it again without PyNest's walk over its members. It
    holds the class's members and templates, never an instance."""

    snapshot: _Snapshot  # what PyNest's walk reads of the class, as it was then
    routes: tuple[tuple[str, Any, _Template], ...]  # (member name, member, its template)
    app_router: tuple[Any, ...]  # the settings of the app's router it was included into


def _member_reads(member: Any) -> tuple[Any, ...]:
    """What registering a route member reads of it, beside its attributes: what its
    signature is made of, its name, qualified name and docstring."""
    return (
        getattr(member, "__code__", None),
        getattr(member, "__defaults__", None),
        getattr(member, "__kwdefaults__", None),
        getattr(member, "__annotations__", None),
        *names(member),
    )


def _held(value: Any) -> Any:
    """What a list, dict or set holds now: a plain copy of a plain one (compared with
    `==` in C, identity first), else `frozen` (a subclass's own `==` is not called)."""
    kind = type(value)
    if kind is dict:
        return dict(value)
    if kind is list:
        return list(value)
    if kind is set:
        return set(value)
    return frozen(value)


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    """What registering a class's routes reads of it, by PyNest's walk, as it was: its
    MRO and the namespace of every class in it but `object` (its members, tag, prefix,
    guards, filters), and, of each route member, its attributes (path, HTTP method,
    route arguments, status code, guards, filters), what its signature is made of, its
    name and its docstring; and a copy of each list, dict and set among them (an edit
    made in place keeps the object, so only the copy shows it). Two classes whose
    snapshots match register the same routes (PyNest's walk reads them by name: their
    order does not count)."""

    classes: tuple[type, ...]  # its MRO
    namespaces: tuple[dict[str, Any], ...]  # a copy of each class's but object's
    attributes: tuple[dict[str, Any] | None, ...]  # a copy of each route member's
    members: tuple[tuple[Any, ...], ...]  # `_member_reads` of each route member
    containers: tuple[tuple[Any, Any], ...]  # (the object, `_held` of it then)

    @classmethod
    def of(cls, klass: type, members: Sequence[tuple[str, Any]]) -> _Snapshot | None:
        """`None` when a container among them cannot be read (the class is not kept)."""
        try:
            return cls._of(klass, members)
        except Exception:
            return None

    @classmethod
    def _of(cls, klass: type, members: Sequence[tuple[str, Any]]) -> _Snapshot:
        namespaces = tuple(dict(vars(k)) for k in klass.__mro__ if k is not object)
        attributes = tuple(_attributes_copy(member) for _, member in members)
        reads = tuple(_member_reads(member) for _, member in members)
        values: list[Any] = [v for namespace in namespaces for v in namespace.values()]
        values.extend(v for held in attributes if held is not None for v in held.values())
        for code, defaults, kwdefaults, hints, *rest in reads:
            values.extend((code, kwdefaults, hints, *(defaults or ()), *rest))
        kept = {id(v): v for v in values if isinstance(v, MUTABLE)}
        containers = tuple((v, _held(v)) for v in kept.values())
        return cls(klass.__mro__, namespaces, attributes, reads, containers)

    def matches(self, klass: type, members: Sequence[tuple[str, Any]]) -> bool:
        try:
            return self._matches(klass, members)
        except Exception:  # a class attribute whose == raises: register the PyNest way
            return False

    def _matches(self, klass: type, members: Sequence[tuple[str, Any]]) -> bool:
        # Plain loops and tuple comparisons (identity first, in C): this runs for every
        # kept controller of every compile.
        mro = klass.__mro__
        if mro != self.classes or len(members) != len(self.members):
            return False
        namespaces = self.namespaces
        index = 0
        for k in mro:
            if k is not object:
                if vars(k) != namespaces[index]:
                    return False
                index += 1
        attributes, reads = self.attributes, self.members
        for index, (_, member) in enumerate(members):
            if getattr(member, "__dict__", None) != attributes[index]:
                return False
            if _member_reads(member) != reads[index]:
                return False
        for value, held in self.containers:
            kind = type(value)
            if kind is dict or kind is list or kind is set:
                if value != held:
                    return False
            elif frozen(value) != held:
                return False
        return True


def _attributes_copy(member: Any) -> dict[str, Any] | None:
    attributes = getattr(member, "__dict__", None)
    return None if attributes is None else dict(attributes)


def _guards(cls: type, member: Any) -> list[Any]:
    """The guards' `Depends` PyNest's `_add_route` makes for this route (new ones)."""
    return [g.as_dependency() for g in _collect_guards(cls, member)]


class _HeldBack:
    """Takes the one `add_api_route` call PyNest's `_add_route` makes, unbuilt (the one
    thing `_add_route` does with its router; no `APIRouter` of its own, and none of the
    reference cycles an `APIRouter` is made of)."""

    arguments: dict[str, Any] | None = None

    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        self.arguments = {"path": path, "endpoint": endpoint, **kwargs}


class _IncludingInto:
    """The `app_ref` the resolver sees: `include_router` goes through the resolver,
    everything else (websocket gateways) straight to the app. It refers to the resolver
    weakly: the two are freed by reference counting when the walk is done."""

    def __init__(self, app: FastAPI, resolver: ReusingRoutesResolver) -> None:
        self._app = app
        self._resolver = weakref.ref(resolver)

    def include_router(self, router: APIRouter, **options: Any) -> None:
        resolver = self._resolver()
        if resolver is None:  # the walk is over: as PyNest's app_ref, the app itself
            include_router(self._app, router, **options)
            return
        resolver.include(router, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


class ReusingRoutesResolver(RoutesResolver):  # type: ignore[misc]  # PyNest is untyped
    """PyNest's `RoutesResolver`, building each app route from a template when one fits."""

    def __init__(
        self,
        container: Any,
        app: FastAPI,
        templates: RouteTemplates[_Template],
        controllers: RouteTemplates[_Controller] | None = None,
    ) -> None:
        super().__init__(container, _IncludingInto(app, self))
        controllers = RouteTemplates() if controllers is None else controllers
        self._app = app
        self._templates = templates
        self._held: dict[int, list[tuple[tuple[type, Any], dict[str, Any]]]] = {}
        self._held_back = _HeldBack()
        self._routes = 0  # held so far in this app: the templates cache holds as many
        self._controllers = controllers
        self._registered = 0  # controllers so far in this app: `controllers` holds as many
        self._included: list[tuple[Any, _Template | None]] | None = None
        self._settings: tuple[Any, ...] | None = None

    def _app_router(self) -> tuple[Any, ...]:
        """The app router's settings, read once: nothing changes them while routes are
        registered."""
        if self._settings is None:
            self._settings = _app_router(self._app)
        return self._settings

    def _register_controller(self, controller_class: type) -> None:
        """PyNest's registration of one controller; when the class registered before,
        every route from a template and nothing PyNest's walk reads of it changed since,
        its routes are made from those templates directly: the controller is still built
        here, through the container, as PyNest builds it."""
        self._registered += 1
        kept = self._controllers.get(controller_class)
        if kept is not None and kept.app_router == self._app_router():
            members = [(name, member) for name, member, _ in kept.routes]
            if kept.snapshot.matches(controller_class, members):
                guards = [
                    _guards(controller_class, member) if template.dependencies else []
                    for _, member, template in kept.routes
                ]
                if all(
                    _same_dependencies(template.dependencies, made)
                    for (_, _, template), made in zip(kept.routes, guards, strict=True)
                ):
                    self._register_kept(controller_class, kept, guards)
                    return
        self._register_learning(controller_class)

    def _register_kept(self, cls: type, kept: _Controller, guards: list[list[Any]]) -> None:
        instance = self.container.get_controller_instance(cls)
        routes = self._app.router.routes
        for (name, member, template), made in zip(kept.routes, guards, strict=True):
            bound = getattr(instance, name)
            if inspect.ismethod(bound) and bound.__func__ is template.function:
                routes.append(_rebound(template.route, bound, self._app, made, template.kinds))
            else:  # the instance has its own `name`: that route as PyNest makes it
                router = APIRouter(tags=list(template.tags) or None)
                prefix = getattr(cls, "__route_prefix__", None) or ""
                self._add_route(router, bound, member, cls, prefix)
                self.include(router)

    def _register_learning(self, cls: type) -> None:
        """PyNest's `_register_controller`; kept for next time when every route of it
        came from or became a template."""
        members = [
            (name, member)
            for name, member in inspect.getmembers(cls, predicate=callable)
            if isinstance(getattr(member, "__http_method__", None), HTTPMethod)
        ]
        snapshot = _Snapshot.of(cls, members)
        self._included = None
        super()._register_controller(cls)
        included, self._included = self._included, None
        if snapshot is None or included is None or len(included) != len(members):
            return
        routes = []
        for (name, member), (held, template) in zip(members, included, strict=True):
            if held is not member or template is None:
                return
            routes.append((name, member, template))
        kept = _Controller(snapshot, tuple(routes), self._app_router())
        self._controllers.put(cls, kept, room=self._registered)

    def _add_route(
        self, router: APIRouter, bound_method: Any, original_method: Any, cls: type, prefix: str
    ) -> None:
        held = self._held_back
        held.arguments = None
        super()._add_route(held, bound_method, original_method, cls, prefix)
        if held.arguments is not None:
            self._held.setdefault(id(router), []).append(((cls, original_method), held.arguments))

    def include(self, router: APIRouter, **options: Any) -> None:
        """Include `router`'s held routes in the app, in PyNest's order: each from its
        template when one fits, the others built by FastAPI (and kept as templates)."""
        held = self._held.pop(id(router), [])
        self._routes += len(held)
        self._included = None
        if options:  # a prefix, tags, ...: not what templates were made for; build them all
            for _, arguments in held:
                router.add_api_route(**arguments)
            include_router(self._app, router, **options)
            return
        app_router = self._app_router()
        included: list[tuple[Any, _Template | None]] = []
        self._included = included
        fits = [self._fitting(router, key, arguments, app_router) for key, arguments in held]
        for (_, arguments), template in zip(held, fits, strict=True):
            if template is None:
                router.add_api_route(**arguments)
        routes = self._app.router.routes
        start = len(routes)
        # FastAPI builds the routes that have no template, and merges the router's
        # lifespan and event handlers, as for PyNest.
        include_router(self._app, router)
        built = iter(routes[start:])
        merged: list[Any] = []
        for (key, arguments), template in zip(held, fits, strict=True):
            if template is not None:
                endpoint, guards = arguments["endpoint"], arguments.get("dependencies") or ()
                merged.append(
                    _rebound(template.route, endpoint, self._app, guards, template.kinds)
                )
                included.append((key[1], template))
                continue
            route = next(built, None)
            if route is None:
                self._included = None
                break  # FastAPI did not build what was handed over; keep what it did
            merged.append(route)
            made = _template_of(route, arguments, router.tags, app_router)
            if made is not None:
                self._templates.put(key, made, room=self._routes)
            included.append((key[1], made))
        merged.extend(built)
        routes[start:] = merged

    def _fitting(
        self,
        router: APIRouter,
        key: Hashable,
        arguments: dict[str, Any],
        app_router: tuple[Any, ...],
    ) -> _Template | None:
        """The template for this route, if it was made from the same method with the same
        arguments (other than the instance the method is bound to), in an app whose router
        adds the same to its routes."""
        template = self._templates.get(key)
        endpoint = arguments["endpoint"]
        if (
            template is None
            or not inspect.ismethod(endpoint)
            or endpoint.__func__ is not template.function
            or not template.state.unchanged()  # same method, other signature or route
        ):
            return None
        try:
            same = (
                router.tags == template.tags
                and template.app_router == app_router
                and template.arguments == _static(arguments)
                and _same_dependencies(template.dependencies, arguments.get("dependencies") or ())
            )
        except Exception:  # an argument whose == raises: build the route
            return None
        return template if same else None


def new_app(
    container: Any, *, reuse_routes: bool, options: Mapping[str, Any] | None = None
) -> PyNestApp:
    """`PyNestApp(container, FastAPI(**options))`, the last step of
    `PyNestFactory.create(AppModule, **options)`.

    PyNestApp's own resolver finds no modules (the container hides them while the app
    is made); `ReusingRoutesResolver` registers the routes with `reuse_routes`,
    PyNest's `RoutesResolver` without (both through `nest_testing._lifespans`).
    Should a PyNest register routes some other way, its routes stand and nothing is
    registered twice.
    """
    http_server = FastAPI(**(options or {}))
    before = len(http_server.router.routes)
    with container.modules_hidden():
        app = PyNestApp(container, http_server)
    if len(http_server.router.routes) == before:
        if reuse_routes:
            ReusingRoutesResolver(container, http_server, TEMPLATES, CONTROLLERS).register_routes()
        else:  # PyNest's own resolver, routers' empty lifespans not nested
            RoutesResolver(container, FlatIncludes(http_server)).register_routes()
    return app
