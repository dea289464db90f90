from nest.core import Injectable
from nest.core.decorators.database import db_request_handler

from .config import config
from .entities import Note as NoteEntity
from .entities import User as UserEntity
from .models import Note, User


@Injectable
class NoteService:
    """The CLI template's service: a fresh session per call through config.get_session()."""

    def __init__(self):
        self.config = config

    @db_request_handler
    def add_note(self, note: Note):
        with self.config.get_session() as session:
            new_note = NoteEntity(**note.model_dump())
            session.add(new_note)
            session.commit()
            return new_note.id

    @db_request_handler
    def get_notes(self):
        with self.config.get_session() as session:
            return [{"id": n.id, "title": n.title} for n in session.query(NoteEntity).all()]


@Injectable
class UserService:
    """PyNest's examples/OrmSyncApp: one session made in __init__ and kept."""

    def __init__(self):
        self.config = config
        self.session = self.config.get_db()

    @db_request_handler
    def add_user(self, user: User):
        new_user = UserEntity(**user.model_dump())
        self.session.add(new_user)
        self.session.commit()
        return new_user.id

    @db_request_handler
    def get_users(self):
        return [{"id": u.id, "name": u.name} for u in self.session.query(UserEntity).all()]
