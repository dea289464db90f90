from fastapi.middleware.cors import CORSMiddleware
from nest.core import Module, PyNestFactory

from .app_controller import AppController
from .app_service import AppService
from .book.book_module import BookModule
from .config import config


@Module(imports=[BookModule], controllers=[AppController], providers=[AppService])
class AppModule:
    pass


app = PyNestFactory.create(
    AppModule,
    description="This is my Async PyNest app.",
    title="Books API",
    version="1.0.0",
    debug=True,
)

http_server = app.get_server()
http_server.add_middleware(CORSMiddleware, allow_origins=["*"])


@http_server.on_event("startup")
async def startup() -> None:
    await config.create_all()
