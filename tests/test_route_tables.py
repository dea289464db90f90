"""Kept route tables: a controller class registered before is registered again from its
kept templates, without PyNest's walk over its members, while nothing that walk reads of
the class changed; whatever changed, the routes are PyNest's."""

from typing import Any

import nest.common.route_resolver as route_resolver
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from nest.core import Controller, Get, Module, PyNestFactory
from nest.core.decorators.guards import BaseGuard

from nest_testing import Test, TestingModuleBuilder
from nest_testing._route_templates import CONTROLLERS, TEMPLATES, ReusingRoutesResolver


def cached(root: type) -> TestingModuleBuilder:
    return Test.create_testing_module(imports=[root]).use_blueprint_cache()


def api_routes(app: FastAPI) -> dict[str, APIRoute]:
    return {r.path: r for r in app.routes if isinstance(r, APIRoute)}


def served(app: FastAPI) -> list[tuple[str, str, Any]]:
    return [(r.path, r.name, sorted(r.methods)) for r in app.routes if isinstance(r, APIRoute)]


def a_module() -> tuple[type, type]:
    """A fresh controller and module (nothing kept for them yet)."""

    @Controller("/t")
    class TableController:
        @Get("/a")
        def a(self) -> dict[str, str]:
            return {"route": "a"}

        @Get("/b")
        def b(self) -> dict[str, str]:
            return {"route": "b"}

    @Module(controllers=[TableController])
    class TableModule:
        pass

    return TableController, TableModule


def test_a_warm_compile_registers_a_kept_controller_without_pynests_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller, module_class = a_module()
    with cached(module_class).compile():
        pass
    calls: list[Any] = []
    original = route_resolver.has_param_decorators
    monkeypatch.setattr(
        route_resolver, "has_param_decorators", lambda e: calls.append(e) or original(e)
    )
    with cached(module_class).compile() as module:
        assert calls == []  # PyNest's _add_route did not run for the kept controller
        assert api_routes(module.http_server)["/t/a"].endpoint.__self__ is module.get(controller)
        module.assert_constructed(controller, times=1)
        assert module.client.get("/t/b").json() == {"route": "b"}
        assert served(module.http_server) == served(PyNestFactory.create(module_class).http_server)


def test_a_route_method_added_to_a_kept_class_is_registered() -> None:
    controller, module_class = a_module()
    with cached(module_class).compile():
        pass

    @Get("/c")
    def c(self: Any) -> dict[str, str]:
        return {"route": "c"}

    controller.c = c
    with cached(module_class).compile() as module:
        assert module.client.get("/t/c").json() == {"route": "c"}
        assert served(module.http_server) == served(PyNestFactory.create(module_class).http_server)


def test_a_route_attribute_edited_in_place_is_registered_as_it_is_now() -> None:
    controller, module_class = a_module()
    with cached(module_class).compile():
        pass
    controller.a.__kwargs__ = {}  # PyNest's route arguments, a dict read per route
    controller.a.__kwargs__["summary"] = "edited"
    with cached(module_class).compile() as module:
        assert api_routes(module.http_server)["/t/a"].summary == "edited"


class Deny(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return False


def test_a_guard_added_in_place_to_a_kept_class_guards_its_routes() -> None:
    controller, module_class = a_module()
    controller.__guards__ = []
    with cached(module_class).compile() as module:
        assert module.client.get("/t/a").status_code == 200
    controller.__guards__.append(Deny)  # the same list, edited
    with cached(module_class).compile() as module:
        assert module.client.get("/t/a").status_code == 403


def test_a_controller_whose_instance_has_its_own_route_attribute_is_served_as_pynest_does() -> (
    None
):
    controller, module_class = a_module()

    def init(self: Any) -> None:
        self.b = lambda: {"route": "instance"}

    controller.__init__ = init
    with cached(module_class).compile():
        pass
    with cached(module_class).compile() as module:
        assert module.client.get("/t/b").json() == {"route": "instance"}
        assert module.client.get("/t/a").json() == {"route": "a"}
    assert TestClientFor(module_class).get("/t/b").json() == {"route": "instance"}


def TestClientFor(module_class: type) -> Any:
    from starlette.testclient import TestClient

    return TestClient(PyNestFactory.create(module_class).http_server)


def test_an_app_router_with_other_settings_gets_routes_made_with_them() -> None:
    _, module_class = a_module()
    ran: list[str] = []

    def marker() -> None:
        ran.append("marker")

    with cached(module_class).compile() as module:
        container = module.app.container
        app = FastAPI(dependencies=[Depends(marker)])
        ReusingRoutesResolver(container, app, TEMPLATES, CONTROLLERS).register_routes()
        route = api_routes(app)["/t/a"]
        assert [d.dependency for d in route.dependencies] == [marker]
        assert route.dependant.dependencies[0].call is marker
    with cached(module_class).compile() as module:
        assert api_routes(module.http_server)["/t/a"].dependencies == []
        assert module.client.get("/t/a").status_code == 200
        assert ran == []


def test_edits_to_one_modules_kept_routes_do_not_reach_the_next_module() -> None:
    _, module_class = a_module()

    def edit(app: Any) -> None:
        route = api_routes(app.http_server)["/t/a"]
        route.tags.append("edited")
        route.responses[418] = {"description": "teapot"}
        route.dependencies.append(Depends(lambda: None))
        route.dependant.dependencies.append(Dependant(call=lambda: None))

    with cached(module_class).compile():
        pass
    with cached(module_class).configure_app(edit).compile():
        pass
    with cached(module_class).compile() as module:
        route = api_routes(module.http_server)["/t/a"]
        assert (route.tags, route.responses, route.dependencies) == ([], {}, [])
        assert route.dependant.dependencies == []
        assert module.client.get("/t/a").json() == {"route": "a"}


def test_a_kept_route_serves_with_what_it_held_when_it_was_made() -> None:
    # FastAPI makes a route's request handler from its dependant when the route is made;
    # a dependant replaced later (without a new handler) serves nothing, in either app.
    _, module_class = a_module()

    def swap(app: Any) -> None:
        routes = api_routes(app.http_server)
        routes["/t/a"].dependant = routes["/t/b"].dependant

    with cached(module_class).compile():
        pass
    with cached(module_class).configure_app(swap).compile() as module:
        assert module.client.get("/t/a").json() == {"route": "a"}
    reference = PyNestFactory.create(module_class)
    swap(reference)
    from starlette.testclient import TestClient

    assert TestClient(reference.http_server).get("/t/a").json() == {"route": "a"}
