"""``/items``: the seed controller plus ``GET /items/audit``, which asks FastAPI for a
``Logger`` instead of using the one the container injected."""

from fastapi import Depends
from nest.core import Controller, Delete, Get, Post, Put

from plugin_app.services import ItemService, Logger


@Controller("items")
class ItemController:
    def __init__(self, item_service: ItemService) -> None:
        self.item_service = item_service

    @Get("/")
    def get(self) -> list[dict]:
        return self.item_service.get()

    @Post("/")
    def post(self, item: dict) -> list[dict]:
        return self.item_service.post(item)

    @Put("/")
    def put(self, item: dict) -> list[dict]:
        return self.item_service.put(item)

    @Delete("/")
    def delete(self, item: dict) -> list[dict]:
        return self.item_service.delete(item)

    @Get("/audit")
    def audit(self, logger: Logger = Depends(Logger)) -> dict:
        # The regression: FastAPI constructs a new Logger (and ConfigService) per request.
        logger.log.info("audit: %d items", len(self.item_service.items))
        return {
            "items": len(self.item_service.items),
            "shared_logger": logger is self.item_service.logger,
        }
