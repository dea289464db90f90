"""Both client families reach a testing module: httpx2 (ours and starlette's) and httpx."""

import httpx
import httpx2
import pytest
from nt_sample_app import AppModule
from starlette.testclient import TestClient

from nest_testing import Test


def test_sync_client_is_a_started_starlette_testclient() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        client = module.client
        assert isinstance(client, TestClient)
        assert isinstance(client, httpx2.Client)  # starlette picked httpx2: no deprecation
        assert module.client is client
        response = client.get("/items/")  # redirected to /items, as TestClient does
        assert response.json() == ["apple", "pear"]
        assert response.request.headers["user-agent"] == "testclient"


@pytest.mark.asyncio
async def test_async_client_follows_redirects_like_the_testclient() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    async with await builder.compile_async() as module, module.async_client() as client:
        assert isinstance(client, httpx2.AsyncClient)
        response = await client.get("/items/")
        assert response.json() == ["apple", "pear"]
        assert response.request.headers["user-agent"] == "testclient"


@pytest.mark.asyncio
async def test_plain_httpx_reaches_an_async_module() -> None:
    async with await Test.create_testing_module(imports=[AppModule]).compile_async() as module:
        transport = httpx.ASGITransport(app=module.http_server)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/loop")
        assert response.json() == {"same_loop": True, "task_alive": True}
