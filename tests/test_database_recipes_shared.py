"""docs/database.md: tests sharing one testing module, reset between them.

A file of its own: while the module-scoped module is open it holds the provider, and no
other testing module may use the same provider (tests of one file run together, also in
random order).
"""

from collections.abc import Iterator

import pytest
from nt_orm_sync_app.app_module import AppModule
from nt_orm_sync_app.config import config
from starlette.testclient import TestClient

from nest_testing import Test, TestingModule


@pytest.fixture(scope="module")
def shared_module() -> Iterator[TestingModule]:
    builder = Test.create_testing_module(imports=[AppModule]).use_database(config)
    with builder.compile() as module:
        yield module


@pytest.fixture
def shared_client(shared_module: TestingModule) -> Iterator[TestClient]:
    yield shared_module.client
    shared_module.database.reset()  # what this test wrote is gone; the schema stays


@pytest.mark.parametrize("title", ["first", "second"])
def test_in_a_shared_module(shared_client: TestClient, title: str) -> None:
    assert shared_client.get("/note/").json() == []
    shared_client.post("/note/", json={"title": title})
