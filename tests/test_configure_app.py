"""configure_app(fn): what fn receives, and the FastAPI 0.136 ways to add to the app."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from nest.core.pynest_application import PyNestApp
from nt_sample_app import AppModule
from starlette.middleware.base import BaseHTTPMiddleware

from nest_testing import AppConfigurationError, Test, UsageError


def test_configure_receives_the_pynest_app_with_its_routes_registered() -> None:
    seen: list[object] = []

    def configure(app: PyNestApp) -> None:
        seen.append(app)
        seen.append(sorted(r.path for r in app.http_server.routes if r.path.startswith("/items")))

    with Test.create_testing_module(imports=[AppModule]).configure_app(configure).compile() as m:
        assert seen[0] is m.app
        assert isinstance(m.app.http_server, FastAPI)
        assert seen[1] == ["/items", "/items/audit"]


def test_a_startup_handler_and_a_middleware_added_the_fastapi_0_136_way() -> None:
    events: list[asyncio.AbstractEventLoop] = []

    async def add_header(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["X-Configured"] = "yes"
        return response

    def configure(app: PyNestApp) -> None:
        async def startup() -> None:
            events.append(asyncio.get_running_loop())

        # FastAPI 0.136 has no app.add_event_handler; the router keeps the handlers.
        app.http_server.router.on_startup.append(startup)
        # PyNest's app.use() is http_server.add_middleware().
        app.use(BaseHTTPMiddleware, dispatch=add_header)

    module = Test.create_testing_module(imports=[AppModule]).configure_app(configure).compile()
    with module:
        assert len(events) == 1  # ran once, in the module's lifespan, before any request
        assert events[0] is module._runtime.portal.call(asyncio.get_running_loop)  # type: ignore[union-attr]
        assert module.client.get("/items").headers["X-Configured"] == "yes"


def test_a_nest_testing_error_inside_configure_reaches_the_user_as_it_is() -> None:
    def configure(app: PyNestApp) -> None:
        raise UsageError("configure: no such route /nope")

    builder = Test.create_testing_module(imports=[AppModule]).configure_app(configure)
    with pytest.raises(UsageError, match=r"^configure: no such route /nope$") as info:
        builder.compile()
    assert not isinstance(info.value, AppConfigurationError)
