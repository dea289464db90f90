from sqlalchemy import Column, Integer, String

from .config import config


class Note(config.Base):
    __tablename__ = "nt_sync_note"

    id = Column(Integer, primary_key=True, autoincrement=True)
    title = Column(String, unique=True)


class User(config.Base):
    __tablename__ = "nt_sync_user"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String)
