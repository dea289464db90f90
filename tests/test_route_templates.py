"""Route templates: FastAPI's routes are built once per controller method and reused by
later compiles, bound to each module's own controller; what is served never changes."""

import gc
import weakref
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from nest.core import Controller, Get, Module, PyNestFactory
from nest.core.decorators.guards import BaseGuard, UseGuards
from nest.websockets import MessageBody, SubscribeMessage, WebSocketGateway
from nt_sample_app import AppModule, ConfigService, ItemController, LoopController
from starlette.testclient import TestClient

from nest_testing import Test, TestingModuleBuilder
from nest_testing._route_templates import CONTROLLERS, TEMPLATES, ReusingRoutesResolver


def api_routes(module: Any) -> dict[str, APIRoute]:
    return {r.path: r for r in module.http_server.routes if isinstance(r, APIRoute)}


def cached(root: type) -> TestingModuleBuilder:
    """A builder with the blueprint cache on (the default, unless the environment says
    otherwise), as these tests are about it."""
    return Test.create_testing_module(imports=[root]).use_blueprint_cache()


def test_a_repeat_compile_reuses_fastapi_routes_bound_to_its_own_controller() -> None:
    with cached(AppModule).compile() as first:
        first_routes = api_routes(first)
    with cached(AppModule).compile() as second:
        routes = api_routes(second)
        route = routes["/items"]
        # what FastAPI derived from the signature is shared with the earlier build ...
        assert route.response_field is first_routes["/items"].response_field
        # ... the endpoint is this module's controller, and so is what serves requests
        assert route.endpoint.__self__ is second.get(ItemController)
        assert route.dependant.call == route.endpoint
        assert route.dependency_overrides_provider is second.http_server
        assert second.client.get("/items").json() == ["apple", "pear"]
        assert routes["/loop"].endpoint.__self__ is second.get(LoopController)
        assert second.client.get("/loop").json() == {"same_loop": True, "task_alive": True}
        # Depends(Audit) on a reused route is still counted, per module
        assert second.client.get("/items/audit").json() == {"audited": True}
        second.assert_constructed(ItemController, times=1)


def test_reused_routes_are_the_routes_pynest_registers() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile():
        pass  # templates made
    reference = PyNestFactory.create(AppModule).http_server
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert api_routes(module)["/items"].response_field is not None
        ours = [(r.path, r.name, getattr(r, "methods", None)) for r in module.http_server.routes]
        theirs = [(r.path, r.name, getattr(r, "methods", None)) for r in reference.routes]
        assert ours == theirs
        assert module.http_server.openapi() == reference.openapi()


def test_with_the_blueprint_cache_off_fastapi_builds_every_route() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as first:
        first_field = api_routes(first)["/items"].response_field
    builder = Test.create_testing_module(imports=[AppModule]).use_blueprint_cache(False)
    with builder.compile() as module:
        assert api_routes(module)["/items"].response_field is not first_field
        assert module.client.get("/items").status_code == 200


def test_templates_keep_no_controller_alive() -> None:
    TEMPLATES.clear()  # so that this module's routes become the templates
    CONTROLLERS.clear()
    with cached(AppModule).compile() as module:
        controller = weakref.ref(module.get(ItemController))
        assert module.client.get("/items").status_code == 200
    del module
    gc.collect()
    assert len(TEMPLATES) == 3  # /items, /items/audit, /loop
    assert len(CONTROLLERS) >= 1
    assert controller() is None


class Deny(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return False


class Base:
    @Get("/who")
    def who(self) -> dict[str, str]:
        return {"who": type(self).__name__}

    @Get("/closed")
    @UseGuards(Deny)
    def closed(self) -> dict[str, str]:
        return {"closed": "no"}


@Controller("left")
class Left(Base):
    pass


@Controller("right")
class Right(Base):
    pass


@Module(controllers=[Left, Right])
class SidesModule:
    pass


def test_a_method_of_two_controllers_keeps_each_prefix_and_guards_stay_per_module() -> None:
    for _ in range(2):
        with cached(SidesModule).compile() as module:
            assert module.client.get("/left/who").json() == {"who": "Left"}
            assert module.client.get("/right/who").json() == {"who": "Right"}
            assert module.client.get("/left/closed").status_code == 403
            first_guarded = api_routes(module)["/left/closed"]
    with cached(SidesModule).compile() as module:
        guarded = api_routes(module)["/left/closed"]
        # reused, with the guard dependency PyNest made for this module's route
        assert guarded.response_field is first_guarded.response_field
        assert guarded.dependencies[0].dependency is not first_guarded.dependencies[0].dependency
        assert guarded.dependant.dependencies[0].call is guarded.dependencies[0].dependency
        with cached(SidesModule).override_guard(Deny, _Allow).compile() as with_guard:
            assert with_guard.client.get("/left/closed").status_code == 200
            assert with_guard.client.get("/right/closed").status_code == 200
        assert module.client.get("/left/closed").status_code == 403
    with cached(SidesModule).compile() as module:
        assert module.client.get("/left/closed").status_code == 403  # nothing leaked


def needs_a_key(x_key: str = Header(default="")) -> None:
    if x_key != "open sesame":
        raise HTTPException(status_code=401)


@pytest.mark.parametrize(
    "settings",
    [{"dependencies": [Depends(needs_a_key)]}, {"deprecated": True}, {"responses": {418: {}}}],
    ids=["dependencies", "deprecated", "responses"],
)
def test_an_app_whose_router_adds_to_every_route_gets_routes_of_its_own(
    settings: dict[str, Any],
) -> None:
    # FastAPI folds the app router's dependencies, responses, ... into every route it
    # includes: templates made in a plain app must not serve it.
    with cached(SidesModule).compile():
        pass  # templates made
    app = PyNestFactory.create(SidesModule, **settings)
    with TestClient(app.http_server) as production:
        expected = (production.get("/left/who").status_code, app.http_server.openapi())
    with Test.from_app(app).use_blueprint_cache().compile() as module:
        assert (module.client.get("/left/who").status_code, module.http_server.openapi()) == (
            expected
        )


class BearerGuard(BaseGuard):
    security_scheme = HTTPBearer(auto_error=False)

    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return getattr(credentials, "credentials", None) == "secret"


@Controller("vault")
@UseGuards(BearerGuard)
class BearerController:
    @Get("/")
    def open(self) -> dict[str, str]:
        return {"gold": "yes"}


@Module(controllers=[BearerController])
class BearerModule:
    pass


def test_a_guard_with_a_security_scheme_is_reused_with_its_openapi() -> None:
    reference = PyNestFactory.create(BearerModule).http_server.openapi()
    for _ in range(2):
        with cached(BearerModule).compile() as module:
            assert module.http_server.openapi() == reference
            assert module.client.get("/vault").status_code == 403
            secret = {"Authorization": "Bearer secret"}
            assert module.client.get("/vault", headers=secret).json() == {"gold": "yes"}


@Controller("swap")
@UseGuards(Deny)
class SwappedController:
    @Get("/")
    def open(self) -> dict[str, str]:
        return {"gold": "yes"}


@Module(controllers=[SwappedController])
class SwappedModule:
    pass


def test_a_controller_whose_guards_change_between_compiles_is_served_with_the_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A route template made under one guard is not reused for another guard made by other
    # code (here one with a security scheme: its dependency takes the credentials).
    with cached(SwappedModule).compile() as module:
        assert module.client.get("/swap").status_code == 403
    monkeypatch.setattr(SwappedController, "__guards__", [BearerGuard])
    reference = PyNestFactory.create(SwappedModule).http_server.openapi()
    with cached(SwappedModule).compile() as module:
        assert module.http_server.openapi() == reference
        assert module.client.get("/swap").status_code == 403
        secret = {"Authorization": "Bearer secret"}
        assert module.client.get("/swap", headers=secret).json() == {"gold": "yes"}


class _Allow(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return True


@WebSocketGateway("chat")
class ChatGateway:
    def __init__(self, config: ConfigService) -> None:
        self.config = config

    @SubscribeMessage("ping")
    def ping(self, data: Any = MessageBody()) -> dict[str, Any]:  # noqa: B008  # PyNest's API
        return {"pong": data, "gateway": id(self)}


@Module(providers=[ConfigService, ChatGateway])
class ChatModule:
    pass


@pytest.mark.parametrize("cache", [True, False], ids=["cache-on", "cache-off"])
def test_websocket_gateways_are_registered_with_their_own_instance(cache: bool) -> None:
    for _ in range(2):
        builder = Test.create_testing_module(imports=[ChatModule]).use_blueprint_cache(cache)
        with builder.compile() as module, module.client.websocket_connect("/chat") as socket:
            socket.send_json({"event": "ping", "data": 7})
            reply = socket.receive_json()
            assert reply["data"] == {"pong": 7, "gateway": id(module.get(ChatGateway))}


def test_editing_one_modules_route_leaves_the_next_modules_alone() -> None:
    def edit(app: Any) -> None:
        route = next(r for r in app.http_server.routes if getattr(r, "path", "") == AUDIT)
        route.tags.append("edited")
        route.responses[418] = {"description": "teapot"}
        route.dependant.dependencies.append(route.dependant.dependencies[0])

    with cached(AppModule).compile():
        pass  # templates made
    with cached(AppModule).configure_app(edit).compile() as edited:
        assert len(api_routes(edited)[AUDIT].dependant.dependencies) == 2
    with cached(AppModule).compile() as module:
        route = api_routes(module)[AUDIT]
        assert "edited" not in route.tags
        assert 418 not in route.responses
        assert len(route.dependant.dependencies) == 1  # Depends(Audit)
        assert module.client.get(AUDIT).json() == {"audited": True}


AUDIT = "/items/audit"


def test_a_router_included_with_options_is_built_by_fastapi_with_them() -> None:
    # PyNest 0.6 includes each controller's router as it is; should it pass options (a
    # prefix, tags), templates made without them must not be used.
    with cached(AppModule).compile() as module:
        app = FastAPI()
        resolver = ReusingRoutesResolver(module.app.container, app, TEMPLATES)
        router = APIRouter()
        controller = module.get(ItemController)
        method = ItemController.list_items
        resolver._add_route(router, controller.list_items, method, ItemController, "/items")
        resolver.include(router, prefix="/v1")
        route = api_routes(SimpleNamespace(http_server=app))["/v1/items"]
        assert route.endpoint == controller.list_items
        assert route.response_field is not api_routes(module)["/items"].response_field


@Controller("/kinds")
class KindsController:
    @Get("/sync")
    def plain(self) -> dict[str, str]:
        return {"kind": "sync"}

    @Get("/async")
    async def awaited(self) -> dict[str, str]:
        return {"kind": "async"}


@Controller("/nothing")
class NoRoutesController:
    """A controller without routes: PyNest still includes its (empty) router."""


@Module(controllers=[KindsController, NoRoutesController])
class KindsModule:
    pass


_KINDS = ("is_gen_callable", "is_async_gen_callable", "is_coroutine_callable")


def test_a_reused_route_knows_what_kind_of_callable_its_endpoint_is() -> None:
    # A reused route's dependants are told what kind of callable the endpoint is (as
    # FastAPI found for the template's): the same as FastAPI finds for its own endpoint.
    created = {r.path: r for r in PyNestFactory.create(KindsModule).http_server.routes}
    with cached(KindsModule).compile():
        pass
    with cached(KindsModule).compile() as module:
        routes = api_routes(module)
        for path in ("/kinds/sync", "/kinds/async"):
            route = routes[path]
            for dependant in (route.dependant, route._flat_dependant):
                fresh = type(dependant)(call=route.endpoint)
                assert {k: getattr(dependant, k) for k in _KINDS} == {
                    k: getattr(fresh, k) for k in _KINDS
                }
            assert route.dependant.call.__self__ is module.get(KindsController)
        assert module.client.get("/kinds/sync").json() == {"kind": "sync"}
        assert module.client.get("/kinds/async").json() == {"kind": "async"}
        assert routes.keys() == {p for p, r in created.items() if isinstance(r, APIRoute)}
        assert routes["/kinds/async"].dependant.is_coroutine_callable
        assert not routes["/kinds/sync"].dependant.is_coroutine_callable
