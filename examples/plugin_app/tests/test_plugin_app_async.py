"""Async tests: ``nest_app`` is compiled on the test's own loop."""

import asyncio

import httpx2
import pytest
from seed_depends_app import ItemService

from nest_testing import TestingModule  # for typing only


@pytest.mark.asyncio
async def test_items_over_the_async_client(nest_async_client: httpx2.AsyncClient) -> None:
    response = await nest_async_client.get("/items")
    assert response.status_code == 200
    assert [item["item_name"] for item in response.json()] == ["Foo", "Bar", "Baz"]


@pytest.mark.asyncio
async def test_concurrent_requests_share_one_service(
    nest_app: TestingModule, nest_async_client: httpx2.AsyncClient
) -> None:
    await asyncio.gather(*(nest_async_client.get("/items") for _ in range(10)))
    assert nest_app.spies[ItemService].get.call_count == 10
    nest_app.assert_singleton(ItemService)
