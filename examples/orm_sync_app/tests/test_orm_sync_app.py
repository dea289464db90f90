"""The sync ORM app as deployed: settings, middleware, handlers, startup create_all."""

import uuid

from orm_sync_app.app_module import app
from orm_sync_app.product.product_service import ProductService
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


def test_products_round_trip_through_sqlite(nest_client: TestClient) -> None:
    # The startup handler created the tables; the database is a temporary file shared by
    # the tests of one process (the test-database issue gives each test its own).
    name = f"lamp-{uuid.uuid4().hex}"
    product_id = nest_client.post("/product/", json={"name": name, "price": 9.5}).json()
    assert {"id": product_id, "name": name, "price": 9.5} in nest_client.get("/product/").json()


def test_one_product_service_serves_every_request(
    nest_app: TestingModule, nest_client: TestClient
) -> None:
    with nest_app.expect_constructions({ProductService: 0}):
        for _ in range(3):
            nest_client.get("/product/")
    nest_app.assert_singleton(ProductService)
