"""Kept controllers: a controller class registered before is registered again from what
was kept of it (its route templates), without PyNest's walk over its members, only
while nothing that walk reads changed and the app's router adds the same to its routes.
Every test compares with what PyNest itself serves."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from nest.core import Controller, Get, Injectable, Module, PyNestFactory
from nest.core.decorators.guards import BaseGuard, UseGuards
from starlette.testclient import TestClient

from nest_testing import Test, TestingModuleBuilder
from nest_testing._route_templates import CONTROLLERS


class Deny(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return False


class Allow(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return True


@Injectable
class Flag:
    shadow = False


def make_module() -> tuple[type, type]:
    """A fresh module and controller (each test edits its own classes)."""

    @Controller("kept")
    class KeptController:
        def __init__(self, flag: Flag) -> None:
            if flag.shadow:  # an attribute of the instance hides the route method
                self.hello = self.shadowed

        @Get("/hello")
        def hello(self) -> dict[str, str]:
            return {"from": "hello"}

        @Get("/closed")
        @UseGuards(Deny)
        def closed(self) -> dict[str, str]:
            return {"closed": "no"}

        def shadowed(self) -> dict[str, str]:
            return {"from": "shadowed"}

    @Module(controllers=[KeptController], providers=[Flag])
    class KeptModule:
        pass

    return KeptModule, KeptController


def cached(root: type) -> TestingModuleBuilder:
    return Test.create_testing_module(imports=[root]).use_blueprint_cache()


def served(http_server: Any) -> list[tuple[Any, ...]]:
    """What an app's routes are, as a client and the OpenAPI schema see them."""
    with TestClient(http_server) as client:
        responses = [
            (route.path, client.get(route.path))
            for route in http_server.routes
            if isinstance(route, APIRoute)
        ]
    calls = [(p, r.status_code, r.headers["content-type"], r.text) for p, r in responses]
    return [*calls, http_server.openapi()]


def kept(root: type, controller: type) -> None:
    """Compile `root` until `controller` is kept."""
    for _ in range(2):
        with cached(root).compile():
            pass
    assert CONTROLLERS.get(controller) is not None


def test_a_kept_controller_is_served_as_pynest_serves_it() -> None:
    root, controller = make_module()
    kept(root, controller)
    with cached(root).compile() as module:
        assert served(module.http_server) == served(PyNestFactory.create(root).http_server)
        route = next(
            r for r in module.http_server.routes if getattr(r, "path", "") == "/kept/hello"
        )
        assert route.endpoint.__self__ is module.get(controller)
        module.assert_constructed(controller, times=1)


def _add_route(controller: type) -> None:
    @Get("/added")
    def added(self: Any) -> dict[str, str]:
        return {"from": "added"}

    controller.added = added  # type: ignore[attr-defined]


def _replace_method(controller: type) -> None:
    @Get("/hello")
    def hello(self: Any) -> dict[str, str]:
        return {"from": "replaced"}

    controller.hello = hello  # type: ignore[attr-defined]


def _guard_in_place(controller: type) -> None:
    controller.__dict__["hello"].__guards__ = [Deny]
    controller.__dict__["closed"].__guards__[0] = Allow  # the list PyNest reads, edited


EDITS: dict[str, Callable[[type], None]] = {
    "route added": _add_route,
    "method replaced": _replace_method,
    "path changed": lambda c: setattr(c.__dict__["hello"], "__route_path__", "/hi"),
    "prefix changed": lambda c: setattr(c, "__route_prefix__", "/moved"),
    "tag changed": lambda c: setattr(c, "__controller_tag__", "other"),
    "route arguments edited in place": lambda c: c.__dict__["hello"].__kwargs__.update(
        summary="Says hello"
    ),
    "status code": lambda c: setattr(c.__dict__["hello"], "status_code", 202),
    "class guards": lambda c: setattr(c, "__guards__", [Deny]),
    "method guards edited in place": _guard_in_place,
    "method renamed": lambda c: setattr(c.__dict__["hello"], "__name__", "greet"),
    "docstring changed": lambda c: setattr(c.__dict__["hello"], "__doc__", "Greets."),
    "signature changed": lambda c: c.__dict__["hello"].__annotations__.update(
        {"return": dict[str, object]}
    ),
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_a_kept_controller_whose_class_changed_is_registered_anew(
    edit: Callable[[type], None],
) -> None:
    root, controller = make_module()
    kept(root, controller)
    edit(controller)
    expected = served(PyNestFactory.create(root).http_server)
    with cached(root).compile() as module:
        assert served(module.http_server) == expected
    with cached(root).compile() as module:  # kept again, as it is now
        assert served(module.http_server) == expected


def test_an_instance_attribute_hiding_a_route_method_is_the_endpoint_as_for_pynest() -> None:
    root, controller = make_module()
    kept(root, controller)

    shadowing = Flag()
    shadowing.shadow = True
    with cached(root).override_provider(Flag).use_value(shadowing).compile() as module:
        assert module.client.get("/kept/hello").json() == {"from": "shadowed"}
        assert module.client.get("/kept/closed").status_code == 403
    with cached(root).compile() as module:
        assert module.client.get("/kept/hello").json() == {"from": "hello"}


class TaggedJSON(JSONResponse):
    media_type = "application/x-tagged+json"


def needs_a_key(x_key: str = Header(default="")) -> None:
    if x_key != "open sesame":
        raise HTTPException(status_code=401)


@pytest.mark.parametrize(
    "options",
    [
        {"dependencies": [Depends(needs_a_key)]},
        {"default_response_class": TaggedJSON},
        {"responses": {418: {"description": "teapot"}}},
        {"deprecated": True},
    ],
    ids=["dependencies", "default_response_class", "responses", "deprecated"],
)
def test_modules_whose_app_options_differ_do_not_share_kept_routes(
    options: dict[str, Any],
) -> None:
    root, controller = make_module()
    kept(root, controller)
    expected = served(PyNestFactory.create(root, **options).http_server)
    plain = served(PyNestFactory.create(root).http_server)
    for _ in range(2):
        with cached(root).app_options(**options).compile() as module:
            assert served(module.http_server) == expected
        with cached(root).compile() as module:
            assert served(module.http_server) == plain


def test_a_guard_override_stays_with_its_module() -> None:
    root, controller = make_module()
    kept(root, controller)
    with cached(root).override_guard(Deny, Allow).compile() as module:
        assert module.client.get("/kept/closed").json() == {"closed": "no"}
    with cached(root).compile() as module:
        assert module.client.get("/kept/closed").status_code == 403
        assert not module.http_server.dependency_overrides


def test_a_kept_route_is_served_as_it_was_when_the_app_was_assembled() -> None:
    # FastAPI makes a route's request handler when it builds the route: assigning the
    # route's attributes later (here in configure_app) changes what it holds, not what
    # it serves. A kept route's handler, made on its first request, is the same.
    def reassign(app: Any) -> None:
        for route in app.http_server.routes:
            if getattr(route, "path", "") == "/kept/hello":
                route.status_code = 299
                route.response_class = PlainTextResponse

    root, controller = make_module()
    reference = PyNestFactory.create(root)
    reassign(reference)
    expected = TestClient(reference.http_server).get("/kept/hello")
    kept(root, controller)
    with cached(root).configure_app(reassign).compile() as module:
        response = module.client.get("/kept/hello")
        assert (response.status_code, response.headers["content-type"], response.json()) == (
            expected.status_code,
            expected.headers["content-type"],
            expected.json(),
        )


class Tally(dict[str, int]):
    """A dict whose constructor takes other arguments than a dict's."""

    def __init__(self, start: int) -> None:
        super().__init__(start=start)


def test_a_controller_with_class_level_containers_of_any_kind_is_kept() -> None:
    # The snapshot reads what a list, dict or set holds without calling its type: a
    # defaultdict (whose first argument must be a callable) or a dict subclass of
    # another signature compiled fine with PyNest and must compile here.
    @Controller("tallied")
    class TalliedController:
        seen: ClassVar[defaultdict[str, list[int]]] = defaultdict(list)
        tally: ClassVar[Tally] = Tally(1)

        @Get("/")
        def hello(self) -> dict[str, int]:
            return dict(self.tally)

    @Module(controllers=[TalliedController])
    class TalliedModule:
        pass

    expected = served(PyNestFactory.create(TalliedModule).http_server)
    kept(TalliedModule, TalliedController)
    with cached(TalliedModule).compile() as module:
        assert served(module.http_server) == expected
    TalliedController.tally["start"] = 2  # edited in place: the class is not what was kept
    with cached(TalliedModule).compile() as module:
        assert module.client.get("/tallied").json() == {"start": 2}
