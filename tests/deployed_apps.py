"""Deployed PyNest apps, made fresh per test: ``PyNestFactory.create(AppModule, **kwargs)``
then configured as a user's ``app_module.py`` configures ``http_server``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from nest.core import Controller, Get, Injectable, Module, PyNestFactory
from nest.core.pynest_application import PyNestApp
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint


class Events:
    """What the app's handlers saw: names in order, and the loop each ran on."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.loops: list[asyncio.AbstractEventLoop] = []

    def record(self, name: str) -> None:
        self.names.append(name)
        self.loops.append(asyncio.get_running_loop())


class Teapot(Exception):
    pass


def get_token() -> str:
    return "real-token"


class Settings:
    def __init__(self) -> None:
        self.url = "sqlite://"

    def get_session(self) -> dict[str, str]:
        return {"url": self.url}


settings = Settings()


class Marker:
    """What a route builds per request with ``Depends(Marker)``."""

    def __init__(self) -> None:
        self.kind = "real"


@Injectable
class Greeter:
    def greet(self) -> str:
        return "hello"


@Controller("greet", tag="greet")
class GreetController:
    def __init__(self, greeter: Greeter):
        self.greeter = greeter

    @Get("/")
    def greet(self, token: str = Depends(get_token)) -> dict[str, str]:
        return {"greeting": self.greeter.greet(), "token": token}

    @Get("/session")
    def session(self, session: dict[str, str] = Depends(settings.get_session)) -> Any:
        return session

    @Get("/marker")
    def marker(self, marker: Marker = Depends(Marker)) -> dict[str, str]:
        return {"kind": marker.kind}


@Module(controllers=[GreetController], providers=[Greeter])
class GreetModule:
    pass


@Module(imports=[GreetModule])
class DeployedModule:
    pass


class Stamp(BaseHTTPMiddleware):
    def __init__(self, app: Any, name: str) -> None:
        super().__init__(app)
        self.name = name

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.append("x-stamp", self.name)
        return response


def deployed_app(events: Events, *, lifespan: bool = False, **kwargs: Any) -> PyNestApp:
    """A deployed app with settings, two middleware, an exception handler, startup and
    shutdown handlers (or a lifespan) and two routes of its own."""

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.record("lifespan startup")
        yield
        events.record("lifespan shutdown")

    options: dict[str, Any] = {
        "title": "Deployed",
        "version": "3.1.4",
        "description": "The deployed app",
        "debug": True,
        "docs_url": "/api/docs",
        "openapi_url": "/api/openapi.json",
        "redoc_url": None,
        "servers": [{"url": "https://api.example.com"}],
        "openapi_tags": [{"name": "greet", "description": "Greetings"}],
        **kwargs,
    }
    if lifespan:
        options["lifespan"] = app_lifespan
    app = PyNestFactory.create(DeployedModule, **options)
    server = app.get_server()
    server.add_middleware(Stamp, name="inner")
    server.add_middleware(Stamp, name="outer")

    async def teapot(request: Request, exc: Teapot) -> JSONResponse:
        return JSONResponse(status_code=418, content={"detail": "teapot"})

    server.add_exception_handler(Teapot, teapot)

    async def startup() -> None:
        events.record("startup")

    async def shutdown() -> None:
        events.record("shutdown")

    server.router.on_startup.append(startup)
    server.router.on_shutdown.append(shutdown)

    @server.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @server.get("/teapot")
    def brew() -> None:
        raise Teapot()

    return app
