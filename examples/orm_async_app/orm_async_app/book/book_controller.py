from nest.core import Controller, Depends, Get, Post
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import config
from .book_model import Book
from .book_service import BookService


@Controller("book", tag="book")
class BookController:
    def __init__(self, book_service: BookService):
        self.book_service = book_service

    @Get("/")
    async def get_book(self, session: AsyncSession = Depends(config.get_db)) -> object:
        return await self.book_service.get_book(session)

    @Post("/")
    async def add_book(self, book: Book, session: AsyncSession = Depends(config.get_db)) -> object:
        return await self.book_service.add_book(book, session)
