from nest.core import Controller, Depends, Get, Post
from sqlalchemy.ext.asyncio import AsyncSession

from .config import config
from .models import Item
from .services import ItemService


@Controller("item", tag="item")
class ItemController:
    def __init__(self, item_service: ItemService):
        self.item_service = item_service

    @Get("/")
    async def get_items(self, session: AsyncSession = Depends(config.get_db)):
        return await self.item_service.get_items(session)

    @Post("/")
    async def add_item(self, item: Item, session: AsyncSession = Depends(config.get_db)):
        return await self.item_service.add_item(item, session)

    @Get("/count")
    async def count_items(self):
        return await self.item_service.count_items()
