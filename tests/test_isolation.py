"""Nothing global changes, and testing modules are independent of each other and of the
production app built from the same ``AppModule``.

Every app below is defined at module level (PyNest's injector needs real annotation
objects), and every class carries the ``Iso`` prefix.
"""

import asyncio
import dataclasses
import signal
import threading
import time
import types
from contextlib import ExitStack
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from injector import Binder, ClassProvider, Injector
from nest.common.module import CompiledModule, ModuleCompiler
from nest.common.provider import ProviderDescriptor
from nest.common.route_resolver import RoutesResolver
from nest.core import (
    Controller,
    Get,
    Injectable,
    InjectionToken,
    Module,
    Post,
    PyNestApp,
    PyNestContainer,
    PyNestFactory,
)
from pydantic import BaseModel
from starlette.testclient import TestClient

from nest_testing import NestTestingError, Test, TestingModule, UsageError

# ── the app ───────────────────────────────────────────────────────────────────

ISO_GREETING = InjectionToken("ISO_GREETING")
ISO_PREFIX = "iso_prefix"


@Injectable
class IsoConfig:
    def __init__(self) -> None:
        self.values = {"name": "prod"}


@Injectable
class IsoLogger:
    tag = "real"

    def __init__(self, config: IsoConfig) -> None:
        self.config = config
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)


def iso_make_greeting(config: IsoConfig) -> str:
    return f"hello {config.values['name']}"


class IsoHookRecorder:
    """Records every lifecycle hook PyNest calls on the instance."""

    def __init__(self) -> None:
        self.hooks: list[str] = []

    def on_module_init(self) -> None:
        self.hooks.append("on_module_init")

    async def on_application_bootstrap(self) -> None:
        await asyncio.sleep(0)
        self.hooks.append("on_application_bootstrap")

    def before_application_shutdown(self, signal: str | None = None) -> None:
        self.hooks.append("before_application_shutdown")

    async def on_module_destroy(self) -> None:
        await asyncio.sleep(0)
        self.hooks.append("on_module_destroy")

    def on_application_shutdown(self, signal: str | None = None) -> None:
        self.hooks.append("on_application_shutdown")


ALL_HOOKS_ONCE = [
    "on_module_init",
    "on_application_bootstrap",
    "before_application_shutdown",
    "on_module_destroy",
    "on_application_shutdown",
]


@Injectable
class IsoItemService(IsoHookRecorder):
    def __init__(self, logger: IsoLogger, config: IsoConfig) -> None:
        super().__init__()
        self.logger = logger
        self.config = config
        self.items = ["apple", "banana", "cherry"]

    def list_items(self, limit: int) -> list[str]:
        self.logger.log(f"list {limit}")
        return self.items[:limit]


class IsoPaging:
    """Built by FastAPI per request (``Depends(IsoPaging)``), not by the container."""

    def __init__(self, limit: int = 10) -> None:
        self.limit = limit


class IsoNewItem(BaseModel):
    name: str


@Controller("iso-items", tag="iso")
class IsoItemController:
    def __init__(self, service: IsoItemService) -> None:
        self.service = service

    @Get("/")
    def list_items(self, paging: Annotated[IsoPaging, Depends(IsoPaging)]) -> dict[str, Any]:
        logger = self.service.logger
        return {
            "items": self.service.list_items(paging.limit),
            "logger": logger.tag,
            "logged": len(logger.lines),
        }

    @Get("/{item_id}")
    async def get_item(self, item_id: int) -> dict[str, Any]:
        return {"id": item_id, "name": self.service.items[item_id % 3]}

    @Post("/")
    def add_item(self, item: IsoNewItem) -> dict[str, Any]:
        self.service.items.append(item.name)
        return {"added": item.name, "count": len(self.service.items)}


ISO_LOGGER_DESCRIPTOR = ProviderDescriptor(provide=IsoLogger, use_class=IsoLogger)


@Module(
    providers=[
        IsoConfig,
        ISO_LOGGER_DESCRIPTOR,
        {"provide": ISO_GREETING, "useFactory": iso_make_greeting, "inject": [IsoConfig]},
        {"provide": ISO_PREFIX, "useValue": "v1"},
    ],
    exports=[IsoConfig, IsoLogger, ISO_GREETING, ISO_PREFIX],
)
class IsoCoreModule:
    pass


@Module(imports=[IsoCoreModule], controllers=[IsoItemController], providers=[IsoItemService])
class IsoItemModule:
    pass


@Module(imports=[IsoItemModule, IsoCoreModule])
class IsoAppModule:
    pass


# ── replacements ──────────────────────────────────────────────────────────────


class IsoFakeLogger:
    tag = "fake-class"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)


class IsoValueLogger(IsoFakeLogger):
    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag


class IsoFakeConfig:
    def __init__(self) -> None:
        self.values = {"name": "test"}


def iso_fake_greeting(config: IsoConfig) -> str:
    return f"hi {config.values['name']}"


USER_CLASSES: tuple[type, ...] = (
    IsoConfig,
    IsoLogger,
    IsoHookRecorder,
    IsoItemService,
    IsoPaging,
    IsoNewItem,
    IsoItemController,
    IsoFakeLogger,
    IsoValueLogger,
    IsoFakeConfig,
)
MODULE_CLASSES: tuple[type, ...] = (IsoCoreModule, IsoItemModule, IsoAppModule)
FRAMEWORK_CLASSES: tuple[type, ...] = (
    PyNestContainer,
    PyNestApp,
    PyNestFactory,
    ModuleCompiler,
    CompiledModule,
    ProviderDescriptor,
    RoutesResolver,
    Injector,
    Binder,
    ClassProvider,
    FastAPI,
)


def _with_overrides(value_logger: IsoFakeLogger | None = None) -> Any:
    builder = Test.create_testing_module(imports=[IsoAppModule])
    if value_logger is None:
        builder = builder.override_provider(IsoLogger, IsoFakeLogger)
    else:
        builder = builder.override_provider(IsoLogger).use_value(value_logger)
    return (
        builder.override_provider(IsoConfig)
        .use_value(IsoFakeConfig())
        .override_provider(ISO_GREETING)
        .use_factory(iso_fake_greeting, inject=[IsoConfig])
        .override_provider(ISO_PREFIX, "v2")
    )


# ── snapshots ─────────────────────────────────────────────────────────────────


def _freeze(value: object, depth: int = 0) -> object:
    """The identity of ``value`` and, for the containers PyNest reads, of what they hold."""
    if depth > 6:
        return ("deep", id(value))
    if isinstance(value, list):
        return ("list", id(value), tuple(_freeze(v, depth + 1) for v in value))
    if isinstance(value, tuple):
        return ("tuple", id(value), tuple(_freeze(v, depth + 1) for v in value))
    if isinstance(value, dict):
        return (
            "dict",
            id(value),
            tuple((k, _freeze(v, depth + 1)) for k, v in value.items()),
        )
    if isinstance(value, ProviderDescriptor):
        return (
            "descriptor",
            id(value),
            tuple(
                (f.name, _freeze(getattr(value, f.name), depth + 1))
                for f in dataclasses.fields(value)
            ),
        )
    if isinstance(value, types.FunctionType):
        attributes = tuple((k, _freeze(v, depth + 1)) for k, v in vars(value).items())
        return ("function", id(value), attributes)
    if isinstance(value, (staticmethod, classmethod)):
        return (type(value).__name__, id(value), _freeze(value.__func__, depth + 1))
    return ("object", id(value))


def _class_state(cls: type) -> dict[str, object]:
    # Python materialising an empty __annotations__ on a class is not a change.
    return {k: _freeze(v) for k, v in vars(cls).items() if k != "__annotations__"}


def _global_state() -> dict[str, object]:
    default_token_factory = ModuleCompiler.__init__.__defaults__[0]
    return {
        "user classes": {cls.__qualname__: _class_state(cls) for cls in USER_CLASSES},
        "module classes": {cls.__qualname__: _class_state(cls) for cls in MODULE_CLASSES},
        "framework classes": {cls.__qualname__: _class_state(cls) for cls in FRAMEWORK_CLASSES},
        "descriptor": _freeze(ISO_LOGGER_DESCRIPTOR),
        "token factory": (
            dict(default_token_factory.module_ids_cache),
            dict(default_token_factory.module_token_cache),
        ),
        "signals": (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)),
        "loop policy": id(asyncio.get_event_loop_policy()),
    }


def test_snapshot_detects_a_change() -> None:
    """The snapshot is deep enough to see a mutated descriptor list or class attribute."""
    before = _global_state()
    providers = IsoCoreModule.providers  # type: ignore[attr-defined]
    providers.append(IsoFakeLogger)
    try:
        assert _global_state() != before
    finally:
        providers.remove(IsoFakeLogger)
    assert _global_state() == before

    IsoFakeLogger.extra = 1  # type: ignore[attr-defined]
    try:
        assert _global_state() != before
    finally:
        del IsoFakeLogger.extra  # type: ignore[attr-defined]
    assert _global_state() == before


def test_nothing_global_changes_before_during_and_after_a_testing_module() -> None:
    before = _global_state()
    imports = [IsoAppModule]

    with _with_overrides().compile() as module:
        assert module.client.get("/iso-items", params={"limit": 2}).json() == {
            "items": ["apple", "banana"],
            "logger": "fake-class",
            "logged": 1,
        }
        assert module.client.post("/iso-items", json={"name": "kiwi"}).status_code == 200
        assert module.get(ISO_GREETING) == "hi test"
        assert module.get(ISO_PREFIX) == "v2"
        during = _global_state()
    after_close = _global_state()

    assert imports == [IsoAppModule]
    assert during == before
    assert after_close == before


def test_init_functions_keep_their_identity() -> None:
    inits = {cls: vars(cls).get("__init__") for cls in USER_CLASSES}
    with _with_overrides().compile() as module:
        module.client.get("/iso-items")
        assert all(vars(cls).get("__init__") is init for cls, init in inits.items())
    assert all(vars(cls).get("__init__") is init for cls, init in inits.items())


# ── two testing modules at once ───────────────────────────────────────────────


def test_two_testing_modules_open_at_once_are_independent() -> None:
    value_logger = IsoValueLogger("value-b")
    with ExitStack() as stack:
        module_a = stack.enter_context(_with_overrides().compile())
        module_b = stack.enter_context(_with_overrides(value_logger).compile())

        service_a, service_b = module_a.get(IsoItemService), module_b.get(IsoItemService)
        assert service_a is not service_b
        assert isinstance(service_a.logger, IsoFakeLogger)
        assert type(service_a.logger) is IsoFakeLogger
        assert service_a.logger is module_a.get(IsoLogger)
        assert service_b.logger is value_logger
        assert module_b.get(IsoLogger) is value_logger

        for _ in range(3):
            response = module_a.client.get("/iso-items", params={"limit": 1})
            assert response.status_code == 200
        assert response.json() == {"items": ["apple"], "logger": "fake-class", "logged": 3}
        assert module_b.client.get("/iso-items").json() == {
            "items": ["apple", "banana", "cherry"],
            "logger": "value-b",
            "logged": 1,
        }
        assert module_a.client.post("/iso-items", json={"name": "kiwi"}).json() == {
            "added": "kiwi",
            "count": 4,
        }
        assert module_b.client.get("/iso-items/3").json() == {"id": 3, "name": "apple"}
        assert service_b.items == ["apple", "banana", "cherry"]

        assert service_a.logger.lines == ["list 1"] * 3
        assert value_logger.lines == ["list 10"]
        assert module_a.constructions[IsoItemService] == 1
        assert module_b.constructions[IsoItemService] == 1
        assert module_a.constructions[IsoPaging] == 3
        assert module_b.constructions[IsoPaging] == 1

        # Closing one leaves the other working.
        module_a.close()
        assert service_a.hooks == ALL_HOOKS_ONCE
        assert service_b.hooks == ["on_module_init", "on_application_bootstrap"]
        with pytest.raises(UsageError):
            module_a.client.get("/iso-items")
        response = module_b.client.get("/iso-items", params={"limit": 2})
        assert response.json() == {"items": ["apple", "banana"], "logger": "value-b", "logged": 2}
        assert module_b.constructions[IsoPaging] == 2
        assert module_b.get(IsoItemService) is service_b
    assert service_b.hooks == ALL_HOOKS_ONCE
    assert service_a.hooks == ALL_HOOKS_ONCE


def test_two_testing_modules_do_not_share_unoverridden_singletons() -> None:
    with (
        Test.create_testing_module(imports=[IsoAppModule]).compile() as first,
        Test.create_testing_module(imports=[IsoAppModule]).compile() as second,
    ):
        for token in (IsoConfig, IsoLogger, IsoItemService):
            assert first.get(token) is not second.get(token)
        first.get(IsoConfig).values["name"] = "changed"
        assert first.get(ISO_GREETING) == "hello prod"  # built at compile time
        assert second.get(IsoConfig).values == {"name": "prod"}
        assert first.client.post("/iso-items", json={"name": "kiwi"}).json()["count"] == 4
        assert second.client.post("/iso-items", json={"name": "fig"}).json()["count"] == 4


# ── production apps ───────────────────────────────────────────────────────────

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/iso-items", {}),
    ("GET", "/iso-items", {"params": {"limit": 1}}),
    ("GET", "/iso-items", {"params": {"limit": "x"}}),
    ("GET", "/iso-items/4", {}),
    ("POST", "/iso-items", {"json": {"name": "kiwi"}}),
    ("POST", "/iso-items", {"json": {}}),
    ("GET", "/iso-items", {}),
    ("GET", "/nowhere", {}),
]


def _routes(server: FastAPI) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (route.path, route.name, tuple(sorted(getattr(route, "methods", None) or ())))  # type: ignore[attr-defined]
        for route in server.routes
    ]


def _responses(client: Any) -> list[tuple[int, object]]:
    return [
        (response.status_code, response.json())
        for response in (client.request(method, url, **kw) for method, url, kw in REQUESTS)
    ]


def _exercise_production() -> tuple[object, object, object]:
    app = PyNestFactory.create(IsoAppModule)
    server = app.http_server
    with TestClient(server) as client:
        responses = _responses(client)
    return _routes(server), responses, server.openapi()


def test_production_app_behaves_the_same_before_and_after_nest_testing() -> None:
    before = _exercise_production()
    with _with_overrides().compile() as module:
        assert module.client.get("/iso-items").json()["logger"] == "fake-class"
    with Test.create_testing_module(imports=[IsoAppModule]).compile() as module:
        module.client.get("/iso-items")
    after = _exercise_production()

    assert after == before
    routes, responses, openapi = after
    assert ("/iso-items/{item_id}", "get_item", ("GET",)) in routes
    assert responses[0] == (
        200,
        {"items": ["apple", "banana", "cherry"], "logger": "real", "logged": 1},
    )
    assert "/iso-items" in openapi["paths"]  # type: ignore[index]


def test_unoverridden_testing_module_serves_what_production_serves() -> None:
    production = PyNestFactory.create(IsoAppModule)
    with TestClient(production.http_server) as client:
        production_responses = _responses(client)

    with Test.create_testing_module(imports=[IsoAppModule]).compile() as module:
        assert _routes(module.http_server) == _routes(production.http_server)
        assert module.http_server.openapi() == production.http_server.openapi()
        assert _responses(module.client) == production_responses

        api_routes = [r for r in module.http_server.routes if isinstance(r, APIRoute)]
        assert {(r.path, tuple(sorted(r.methods))) for r in api_routes} == {
            ("/iso-items", ("GET",)),
            ("/iso-items/{item_id}", ("GET",)),
            ("/iso-items", ("POST",)),
        }
        limit = module.http_server.openapi()["paths"]["/iso-items"]["get"]["parameters"]
        assert [p["name"] for p in limit] == ["limit"]  # the Depends(IsoPaging) parameter
        # Depends(IsoPaging) was built (and counted) for the three valid GETs of /iso-items;
        # the one with limit=x fails validation before FastAPI calls it.
        assert module.constructions[IsoPaging] == 3


# ── threads and shutdown ──────────────────────────────────────────────────────


def _extra_threads(before: set[threading.Thread], timeout: float = 5.0) -> set[threading.Thread]:
    """Threads that were not running before, after giving them ``timeout`` to finish."""
    deadline = time.monotonic() + timeout
    while True:
        extra = {t for t in threading.enumerate() if t not in before and t.is_alive()}
        if not extra or time.monotonic() > deadline:
            return extra
        for thread in extra:
            thread.join(0.05)


def test_close_leaves_no_threads_and_runs_shutdown_hooks_once() -> None:
    before = set(threading.enumerate())
    count_before = threading.active_count()

    with Test.create_testing_module(imports=[IsoAppModule]).compile() as module:
        service = module.get(IsoItemService)
        # sync endpoints run in the loop's worker threads, async ones on the loop
        for _ in range(3):
            assert module.client.get("/iso-items").status_code == 200
        assert module.client.get("/iso-items/1").status_code == 200
        assert service.hooks == ["on_module_init", "on_application_bootstrap"]
        module.close()
        assert service.hooks == ALL_HOOKS_ONCE
        module.close()
        assert service.hooks == ALL_HOOKS_ONCE
    assert service.hooks == ALL_HOOKS_ONCE  # the with block's own close() added nothing

    assert _extra_threads(before) == set()
    assert threading.active_count() <= count_before
    with pytest.raises(UsageError):
        module.client  # noqa: B018 - the property itself refuses


@Injectable
class IsoBrokenService:
    def __init__(self, logger: IsoLogger) -> None:
        raise RuntimeError("iso boom")


@Module(imports=[IsoCoreModule], providers=[IsoBrokenService])
class IsoBrokenModule:
    pass


def test_failed_compile_leaves_no_threads() -> None:
    before = set(threading.enumerate())

    with pytest.raises(NestTestingError, match=r"RuntimeError\('iso boom'\)"):
        Test.create_testing_module(imports=[IsoBrokenModule]).compile()

    assert _extra_threads(before) == set()


def test_several_open_modules_leave_no_threads_when_closed() -> None:
    before = set(threading.enumerate())
    modules: list[TestingModule] = []
    with ExitStack() as stack:
        for _ in range(3):
            module = stack.enter_context(
                Test.create_testing_module(imports=[IsoAppModule]).compile()
            )
            assert module.client.get("/iso-items").status_code == 200
            modules.append(module)
        assert len({id(m.get(IsoItemService)) for m in modules}) == 3
    assert _extra_threads(before) == set()
