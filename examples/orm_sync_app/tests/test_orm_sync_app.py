"""The sync ORM app as deployed: settings, middleware, handlers, startup create_all."""

import uuid

import pytest
from orm_sync_app.app_module import app
from orm_sync_app.config import config
from orm_sync_app.product.product_entity import Product
from orm_sync_app.product.product_service import ProductService
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from nest_testing import Test, TestingModule


def test_the_deployed_app_is_served_as_deployed() -> None:
    with Test.from_app(app).compile() as module:
        client = module.client
        assert client.get("/openapi.json").json()["info"]["title"] == "Products API"
        assert client.get("/api/docs").status_code == 200  # docs_url=/api/docs in create()
        assert client.get("/docs").status_code == 404
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/sold-out").status_code == 409  # the app's exception handler
        assert client.get("/").headers["X-Served-By"] == "products"  # its middleware


def test_products_round_trip_through_the_test_database(nest_client: TestClient) -> None:
    # nest_database in pyproject.toml: this test's own database, tables made by the app's
    # startup handler (config.create_all) on it.
    name = f"lamp-{uuid.uuid4().hex}"
    product_id = nest_client.post("/product/", json={"name": name, "price": 9.5}).json()
    assert nest_client.get("/product/").json() == [{"id": product_id, "name": name, "price": 9.5}]


@pytest.mark.parametrize("name", ["first", "second", "third"])
def test_a_row_written_in_one_test_is_absent_in_the_next(
    nest_client: TestClient, nest_db_session: Session, name: str
) -> None:
    # In any order, and under -n 2: each test sees only its own row.
    assert nest_db_session.scalars(select(Product)).all() == []
    nest_client.post("/product/", json={"name": name, "price": 1.0})
    assert [p.name for p in nest_db_session.scalars(select(Product))] == [name]


def test_the_deployed_app_with_the_builder_and_a_test_database() -> None:
    with Test.from_app(app).use_database(config).compile() as module:
        assert module.client.post("/product/", json={"name": "desk", "price": 2.0}).json() == 1
        with module.database.session() as session:
            assert session.scalars(select(Product.name)).all() == ["desk"]


def test_one_product_service_serves_every_request(
    nest_app: TestingModule, nest_client: TestClient
) -> None:
    with nest_app.expect_constructions({ProductService: 0}):
        for _ in range(3):
            nest_client.get("/product/")
    nest_app.assert_singleton(ProductService)
