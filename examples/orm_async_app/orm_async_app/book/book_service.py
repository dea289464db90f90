from nest.core import Injectable
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .book_entity import Book as BookEntity
from .book_model import Book


@Injectable
class BookService:
    async def add_book(self, book: Book, session: AsyncSession) -> int:
        new_book = BookEntity(**book.model_dump())
        session.add(new_book)
        await session.commit()
        return new_book.id

    async def get_book(self, session: AsyncSession) -> list[dict[str, object]]:
        result = await session.execute(select(BookEntity).order_by(BookEntity.id))
        return [{"id": b.id, "title": b.title} for b in result.scalars()]
