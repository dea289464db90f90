"""``/items``: the article's controller, which receives ``ItemService`` once, in its
constructor, and uses it from every route."""

from nest.core import Controller, Delete, Get, Post, Put

from seed_app.services import ItemService


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
