from nest.core import Injectable
from nest.core.decorators.database import async_db_request_handler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .config import config
from .entities import Item as ItemEntity
from .models import Item


@Injectable
class ItemService:
    def __init__(self):
        self.config = config

    @async_db_request_handler
    async def add_item(self, item: Item, session: AsyncSession):
        new_item = ItemEntity(**item.model_dump())
        session.add(new_item)
        await session.commit()
        return new_item.id

    @async_db_request_handler
    async def get_items(self, session: AsyncSession):
        result = await session.execute(select(ItemEntity).order_by(ItemEntity.id))
        return [{"id": i.id, "name": i.name} for i in result.scalars().all()]

    @async_db_request_handler
    async def count_items(self):
        async with self.config.get_session() as session:
            return await session.scalar(select(func.count()).select_from(ItemEntity))
