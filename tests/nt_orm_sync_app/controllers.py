from fastapi import Depends
from nest.core import Controller, Get, Post
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .config import config
from .entities import Note as NoteEntity
from .models import Note, User
from .services import NoteService, UserService


@Controller("note", tag="note")
class NoteController:
    def __init__(self, note_service: NoteService):
        self.note_service = note_service

    @Get("/")
    def get_notes(self):
        return self.note_service.get_notes()

    @Post("/")
    def add_note(self, note: Note):
        return self.note_service.add_note(note)

    @Get("/count")
    def count_notes(self, session: Session = Depends(config.get_db)):
        try:
            return session.scalar(select(func.count()).select_from(NoteEntity))
        finally:
            session.close()


@Controller("user", tag="user")
class UserController:
    def __init__(self, user_service: UserService):
        self.user_service = user_service

    @Get("/")
    def get_users(self):
        return self.user_service.get_users()

    @Post("/")
    def add_user(self, user: User):
        return self.user_service.add_user(user)
