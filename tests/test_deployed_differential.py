"""Every deployed example app, as Test.from_app(app) serves it with nothing overridden,
against the production app itself: the OpenAPI schema and one request per route, with
the blueprint cache on and off."""

from __future__ import annotations

from typing import Any

import pytest
from deployed_apps import Events, deployed_app
from fastapi.routing import APIRoute
from nest.core.pynest_application import PyNestApp
from starlette.routing import Route
from starlette.testclient import TestClient

from nest_testing import Test


def example_apps() -> dict[str, PyNestApp]:
    from orm_async_app.app_module import app as orm_async_app
    from orm_sync_app.app_module import app as orm_sync_app

    return {
        "orm_sync_app": orm_sync_app,
        "orm_async_app": orm_async_app,
        "deployed_apps": deployed_app(Events()),
        "deployed_apps+lifespan": deployed_app(Events(), lifespan=True),
    }


def requests_for(app: PyNestApp) -> list[tuple[str, str]]:
    """One request per route the production app serves (GET for docs pages)."""
    found: list[tuple[str, str]] = []
    for route in app.http_server.routes:
        if isinstance(route, APIRoute) or type(route) is Route:
            path = route.path.replace("{", "").replace("}", "")
            found.extend((method, path) for method in sorted(route.methods or ["GET"]))
    return found


def seen(client: TestClient, method: str, path: str) -> tuple[Any, ...]:
    response = client.request(method, path, headers={"Origin": "https://x.example"})
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    return response.status_code, response.content, headers


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize("name", list(example_apps()))
def test_from_app_is_indistinguishable_from_the_deployed_app(name: str, cache: bool) -> None:
    app = example_apps()[name]
    calls = [c for c in requests_for(app) if c[0] != "POST"]  # POSTs would store data
    assert calls, "an app with no route proves nothing"
    openapi_url = app.http_server.openapi_url
    with TestClient(app.http_server) as production:
        expected = [seen(production, method, path) for method, path in calls]
        schema = production.get(openapi_url).json()
    builder = Test.from_app(app).use_blueprint_cache(cache)
    with builder.compile() as module:
        assert module.client.get(openapi_url).json() == schema
        got = [seen(module.client, method, path) for method, path in calls]
    assert dict(zip(calls, got, strict=True)) == dict(zip(calls, expected, strict=True))
