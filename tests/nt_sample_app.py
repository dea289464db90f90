"""A small PyNest app used across the suite: three modules, every kind of provider.

No ``from __future__ import annotations`` here: PyNest's injector reads constructor
annotations as real classes.
"""

import asyncio
from typing import Any

from fastapi import Depends
from nest.core import Controller, Get, Injectable, InjectionToken, Module, Scope

DB_URL = InjectionToken("DB_URL")
GREETING = "greeting"


@Injectable
class ConfigService:
    def __init__(self) -> None:
        self.values = {"db": "postgres://prod"}

    def get(self, key: str) -> str:
        return self.values[key]


@Injectable
class Logger:
    def __init__(self, config: ConfigService) -> None:
        self.config = config
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)


@Injectable(scope=Scope.TRANSIENT)
class RequestContext:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}


def make_db_url(config: ConfigService) -> str:
    return config.get("db")


@Module(
    providers=[
        ConfigService,
        Logger,
        {"provide": DB_URL, "useFactory": make_db_url, "inject": [ConfigService]},
        {"provide": GREETING, "useValue": "hello"},
        {"provide": RequestContext, "useClass": RequestContext, "scope": Scope.TRANSIENT},
    ],
    exports=[ConfigService, Logger, DB_URL, GREETING, RequestContext],
    is_global=False,
)
class CoreModule:
    pass


@Injectable
class ItemService:
    def __init__(self, logger: Logger) -> None:
        self.logger = logger
        self.items = ["apple", "pear"]

    def all(self) -> list[str]:
        self.logger.log("items listed")
        return list(self.items)


class Audit:
    """Built by FastAPI per request via Depends(Audit): the pattern the seed warns about."""

    def __init__(self) -> None:
        self.seen = True


@Controller("items")
class ItemController:
    def __init__(self, items: ItemService, logger: Logger) -> None:
        self.items = items
        self.logger = logger

    @Get("/")
    def list_items(self) -> list[str]:
        return self.items.all()

    @Get("/audit")
    def audit(self, audit: Audit = Depends(Audit)) -> dict[str, bool]:
        return {"audited": audit.seen}


@Module(imports=[CoreModule], controllers=[ItemController], providers=[ItemService])
class ItemModule:
    pass


@Injectable
class Ticker:
    """Starts a background task on the module's loop in on_module_init."""

    def __init__(self) -> None:
        self.init_loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.events: list[str] = []

    async def on_module_init(self) -> None:
        self.init_loop = asyncio.get_running_loop()
        self.task = asyncio.ensure_future(self._tick())
        self.events.append("init")

    async def _tick(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.001)

    async def on_application_shutdown(self, signal: str | None = None) -> None:
        assert self.task is not None
        self.task.cancel()
        self.events.append("shutdown")


@Controller("loop")
class LoopController:
    def __init__(self, ticker: Ticker) -> None:
        self.ticker = ticker

    @Get("/")
    async def where(self) -> dict[str, Any]:
        task = self.ticker.task
        return {
            "same_loop": asyncio.get_running_loop() is self.ticker.init_loop,
            "task_alive": task is not None and not task.done(),
        }


@Module(controllers=[LoopController], providers=[Ticker])
class LoopModule:
    pass


@Module(imports=[ItemModule, LoopModule])
class AppModule:
    pass
