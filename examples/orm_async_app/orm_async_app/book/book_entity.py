from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..config import config


class Book(config.Base):
    __tablename__ = "async_books"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String, unique=True)
