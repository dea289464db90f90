"""Test.from_app(app): the deployed app's settings, middleware, handlers and routes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from deployed_apps import DeployedModule, Events, deployed_app, get_token
from fastapi import Depends, FastAPI, WebSocket
from fastapi.middleware.gzip import GZipMiddleware
from nest.core import PyNestFactory
from nest.core.pynest_application import PyNestApp
from nest.core.pynest_container import PyNestContainer
from starlette.testclient import TestClient

from nest_testing import NestTestingError, Test, UsageError
from nest_testing._deployed import NOT_PASSED, unknown_fastapi_parameters


def snapshot(app: Any) -> dict[str, Any]:
    """What a user could see change on the production app."""
    server = app.http_server
    return {
        "routes": list(server.router.routes),
        "middleware": list(server.user_middleware),
        "handlers": dict(server.exception_handlers),
        "startup": list(server.router.on_startup),
        "overrides": dict(server.dependency_overrides),
        "lifespan": server.router.lifespan_context,
        "title": server.title,
    }


def test_with_no_override_the_module_serves_what_production_serves() -> None:
    events = Events()
    app = deployed_app(events)
    with TestClient(app.http_server) as production:
        expected = {
            path: production.get(path) for path in ("/greet", "/health", "/teapot", "/api/docs")
        }
        schema = production.get("/api/openapi.json").json()
    with Test.from_app(app).compile() as module:
        assert module.client.get("/api/openapi.json").json() == schema
        assert schema["info"] == {
            "title": "Deployed",
            "description": "The deployed app",
            "version": "3.1.4",
        }
        for path, response in expected.items():
            got = module.client.get(path)
            assert (got.status_code, got.content) == (response.status_code, response.content)
            assert got.headers.get_list("x-stamp") == ["inner", "outer"]
        assert module.client.get("/docs").status_code == 404
        assert module.http_server.debug is True


def test_startup_and_shutdown_handlers_run_on_the_modules_loop_in_its_lifespan() -> None:
    events = Events()
    app = deployed_app(events)
    module = Test.from_app(app).compile()
    assert events.names == ["startup"]
    loop = module._runtime.portal.call(asyncio.get_running_loop)  # type: ignore[union-attr]
    module.close()
    assert events.names == ["startup", "shutdown"]
    assert events.loops == [loop, loop]


def test_a_user_lifespan_is_carried_over() -> None:
    events = Events()
    app = deployed_app(events, lifespan=True)
    with Test.from_app(app).compile() as module:
        assert events.names == ["lifespan startup"]  # as in production: lifespan, no on_startup
        assert module.client.get("/health").json() == {"status": "ok"}
    assert events.names == ["lifespan startup", "lifespan shutdown"]
    with TestClient(app.http_server):
        pass
    assert events.names[2:] == ["lifespan startup", "lifespan shutdown"]


def test_the_production_app_is_not_changed() -> None:
    app = deployed_app(Events())
    before = snapshot(app)
    with (
        Test.from_app(app)
        .app_options(title="Changed")
        .override_dependency(get_token, lambda: "x")
        .configure_app(lambda a: a.http_server.add_middleware(GZipMiddleware))
        .compile()
    ) as module:
        module.client.get("/greet")
    assert snapshot(app) == before


def test_app_options_win_over_the_deployed_apps_settings() -> None:
    app = deployed_app(Events())
    with (
        Test.from_app(app).app_options(title="Staging", openapi_url="/openapi.json").compile()
    ) as module:
        info = module.client.get("/openapi.json").json()["info"]
        assert info == {"title": "Staging", "description": "The deployed app", "version": "3.1.4"}


def test_app_options_reach_a_module_of_a_module_class() -> None:
    builder = Test.create_testing_module(imports=[DeployedModule])
    builder.app_options(title="Mine", version="9", docs_url=None).app_options(debug=True)
    with builder.compile() as module:
        assert module.client.get("/openapi.json").json()["info"] == {
            "title": "Mine",
            "version": "9",
        }
        assert module.client.get("/docs").status_code == 404
        assert module.http_server.debug is True


def test_an_unknown_app_option_is_a_usage_error_with_a_did_you_mean() -> None:
    builder = Test.create_testing_module(imports=[DeployedModule])
    with pytest.raises(
        UsageError, match=r"titel=: FastAPI\(...\) has no such parameter\. Did you mean: title\?"
    ):
        builder.app_options(titel="x")


@pytest.mark.parametrize("bad", [DeployedModule, object(), "src.app_module:app", None])
def test_from_app_of_anything_but_a_pynest_app_says_what_it_expects(bad: object) -> None:
    with pytest.raises(UsageError, match=r"expects the PyNestApp that PyNestFactory\.create"):
        Test.from_app(bad)  # type: ignore[arg-type]


def test_from_app_of_an_app_with_no_module_says_so() -> None:
    # A PyNestApp put together by hand around an empty container: no root to import.
    app = PyNestApp(PyNestContainer(), FastAPI())
    with pytest.raises(UsageError, match=r"Test\.from_app\(\): .* has no registered @Module"):
        Test.from_app(app)


def test_the_routers_settings_are_carried_over() -> None:
    app = deployed_app(Events(), redirect_slashes=False, deprecated=True)
    with TestClient(app.http_server) as production:
        schema = production.get("/api/openapi.json").json()
        assert production.get("/greet/").status_code == 404  # no redirect to /greet
    with Test.from_app(app).compile() as module:
        assert module.client.get("/greet/").status_code == 404
        assert module.client.get("/api/openapi.json").json() == schema
    assert all(op["deprecated"] for path in schema["paths"].values() for op in path.values())


def test_from_app_of_a_cli_apps_click_group_says_how_to_test_it() -> None:
    # PyNest's CLI template: `app = CLIAppFactory().create(AppModule)`, a click.Group.
    from cli_app.app_module import cli_app

    with pytest.raises(UsageError) as refused:
        Test.from_app(cli_app)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "a CLI app's click group (CLIAppFactory().create(AppModule))" in message
    assert "Test.create_testing_module(imports=[AppModule]).compile()" in message
    assert "module.invoke(" in message


def test_every_fastapi_parameter_is_read_back_or_said_not_to_be() -> None:
    assert unknown_fastapi_parameters() == []
    assert set(NOT_PASSED) == {"routes", "openapi_prefix"}


def test_a_lifespan_context_replaced_after_create_is_refused_by_name() -> None:
    app = PyNestFactory.create(DeployedModule)

    async def replaced(app: Any) -> Any:  # pragma: no cover - never entered
        yield

    app.http_server.router.lifespan_context = replaced
    with pytest.raises(NestTestingError, match="lifespan_context was replaced"):
        Test.from_app(app)


def test_the_testing_modules_overrides_apply_to_the_deployed_app() -> None:
    from deployed_apps import Greeter

    class LoudGreeter:
        def greet(self) -> str:
            return "HELLO"

    with (
        Test.from_app(deployed_app(Events()))
        .override_provider(Greeter, LoudGreeter)
        .compile() as module
    ):
        assert module.client.get("/greet").json()["greeting"] == "HELLO"


def test_state_mounts_and_websocket_routes_added_on_http_server_are_carried_over() -> None:

    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    app = deployed_app(Events())
    server = app.http_server
    server.state.region = "eu"
    server.mount("/legacy", Starlette(routes=[Route("/", lambda r: PlainTextResponse("old"))]))

    @server.websocket("/ws")
    async def echo(websocket: WebSocket, token: str = Depends(get_token)) -> None:
        await websocket.accept()
        await websocket.send_text(token)
        await websocket.close()

    with Test.from_app(app).override_dependency(get_token, lambda: "ws-fake").compile() as module:
        assert module.http_server.state.region == "eu"
        assert module.client.get("/legacy/").text == "old"
        with module.client.websocket_connect("/ws") as websocket:
            assert websocket.receive_text() == "ws-fake"
        module.http_server.state.region = "us"
    assert server.state.region == "eu"


def test_extra_fastapi_keyword_arguments_are_carried_over() -> None:
    # FastAPI(**extra) keeps unknown keywords in app.extra; apps read settings from there.
    app = deployed_app(Events(), feature_flags={"beta": True})
    assert app.http_server.extra == {"feature_flags": {"beta": True}}
    with Test.from_app(app).compile() as module:
        assert module.http_server.extra == {"feature_flags": {"beta": True}}


def test_a_route_added_on_http_server_between_two_from_apps_reaches_the_second() -> None:
    # PyNest's own routes are counted once per app; what was added after them is read
    # again by every Test.from_app(app).
    app = deployed_app(Events())
    with Test.from_app(app).compile() as module:
        assert module.client.get("/late").status_code == 404
        greeting = module.client.get("/greet").content

    @app.http_server.get("/late")
    def late() -> dict[str, str]:
        return {"late": "yes"}

    with Test.from_app(app).compile() as module:
        assert module.client.get("/late").json() == {"late": "yes"}
        assert module.client.get("/greet").content == greeting
