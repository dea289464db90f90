"""The seed app's providers. One difference: ``Logger`` declares its dependency with a
FastAPI default, ``Depends(ConfigService)``, so that FastAPI can build it too.

The injector still injects ``config_service`` by its annotation (the default is ignored),
so for the container ``Logger`` is an ordinary singleton. Without the default, FastAPI
could not register a route that uses ``Depends(Logger)`` at all.
"""

import logging
import os

from fastapi import Depends
from nest.core import Injectable


@Injectable()
class ConfigService:
    """Reads configuration from the process environment."""

    def __init__(self) -> None:
        self.config = os.environ

    def get(self, key: str) -> str | None:
        return self.config.get(key)


@Injectable()
class Logger:
    """The shared logger; ``self.log`` is a standard :class:`logging.Logger`."""

    def __init__(self, config_service: ConfigService = Depends(ConfigService)) -> None:
        self.config_service = config_service
        self.log = logging.getLogger(__name__)


@Injectable()
class ItemService:
    """The logic layer: an in-memory list of items."""

    def __init__(self, logger: Logger) -> None:
        self.logger = logger
        self.items: list[dict] = [{"item_name": "Foo"}, {"item_name": "Bar"}, {"item_name": "Baz"}]

    def get(self) -> list[dict]:
        self.logger.log.info("Endpoint called")
        return self.items

    def post(self, item: dict) -> list[dict]:
        self.items.append(item)
        return self.items

    def put(self, item: dict) -> list[dict]:
        # The article's PUT appends as well; kept as written.
        self.items.append(item)
        return self.items

    def delete(self, item: dict) -> list[dict]:
        self.items.remove(item)
        return self.items
