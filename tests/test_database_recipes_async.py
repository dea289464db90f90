"""The recipe of docs/database.md for an async ORM app (AsyncOrmProvider)."""

import httpx2
import pytest
from nt_orm_async_app.app_module import AppModule
from nt_orm_async_app.config import config
from nt_orm_async_app.entities import Item
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def nest_app_module() -> type:
    return AppModule


@pytest.fixture
def nest_db_config() -> object:
    return config


@pytest.mark.asyncio
async def test_async_app(
    nest_db_session: AsyncSession, nest_async_client: httpx2.AsyncClient
) -> None:
    nest_db_session.add(Item(name="arranged"))
    await nest_db_session.commit()
    assert (await nest_async_client.post("/item/", json={"name": "posted"})).json() == 2
    names = (await nest_db_session.scalars(select(Item.name).order_by(Item.id))).all()
    assert names == ["arranged", "posted"]
