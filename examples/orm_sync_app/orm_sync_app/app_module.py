from fastapi import Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from nest.core import Module, PyNestFactory
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from .app_controller import AppController
from .app_service import AppService
from .config import config
from .product.product_module import ProductModule


@Module(imports=[ProductModule], controllers=[AppController], providers=[AppService])
class AppModule:
    pass


app = PyNestFactory.create(
    AppModule,
    description="This is my PyNest app.",
    title="Products API",
    version="1.0.0",
    debug=True,
    docs_url="/api/docs",
    openapi_tags=[{"name": "product", "description": "What the shop sells"}],
)

http_server = app.get_server()


class ServedBy(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Served-By"] = "products"
        return response


http_server.add_middleware(GZipMiddleware, minimum_size=10_000)
http_server.add_middleware(ServedBy)


class OutOfStock(Exception):
    pass


@http_server.exception_handler(OutOfStock)
async def out_of_stock(request: Request, exc: OutOfStock) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": "out of stock"})


@http_server.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@http_server.get("/sold-out")
def sold_out() -> None:
    raise OutOfStock()


def startup() -> None:
    config.create_all()


# FastAPI 0.136's own way to add a startup handler after the app exists
# (FastAPI.add_event_handler is gone, FastAPI.on_event is deprecated).
http_server.router.on_startup.append(startup)
