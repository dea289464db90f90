"""The plugin with ``nest_app_module = "orm_async_app.app_module:app"`` and a marker."""

from collections.abc import AsyncIterator

import pytest
from orm_async_app.config import config
from starlette.testclient import TestClient


class NoBooks:
    async def execute(self, statement: object) -> object:
        raise AssertionError("the fake session is not queried by POST")


async def no_db() -> AsyncIterator[None]:
    yield None


@pytest.mark.nest_override_dependency(config.get_db, no_db)
def test_a_route_gets_the_marker_s_replacement(nest_client: TestClient) -> None:
    # BookService receives None as its session: the real database is never reached.
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'execute'"):
        nest_client.get("/book/")
