"""The recipes of docs/database.md for a sync ORM app, run as they are shown there."""

import factory
import pytest
from nt_orm_sync_app.app_module import AppModule
from nt_orm_sync_app.config import config
from nt_orm_sync_app.entities import Note
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from nest_testing import Test, TestingModule


# In a real project these two come from pyproject.toml:
#   nest_app_module = "src.app_module:AppModule"
#   nest_database = "src.config:config"
@pytest.fixture
def nest_app_module() -> type:
    return AppModule


@pytest.fixture
def nest_db_config() -> object:
    return config


def test_lists_what_the_test_arranged(nest_db_session: Session, nest_client: TestClient) -> None:
    nest_db_session.add(Note(title="milk"))
    nest_db_session.commit()
    assert nest_client.get("/note/").json() == [{"id": 1, "title": "milk"}]


def test_checks_what_the_app_wrote(nest_db_session: Session, nest_client: TestClient) -> None:
    assert nest_client.post("/note/", json={"title": "bread"}).json() == 1
    assert nest_db_session.scalars(select(Note.title)).all() == ["bread"]


@pytest.mark.nest_db(transaction=True)
def test_needs_real_commits(nest_app: TestingModule, nest_client: TestClient) -> None:
    nest_client.post("/note/", json={"title": "seen by every connection"})
    with nest_app.database.engine.connect() as other_connection:
        assert other_connection.scalar(select(Note.title)) == "seen by every connection"


class NoteFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Note
        sqlalchemy_session_persistence = "commit"

    title = factory.Sequence(lambda n: f"note {n}")


@pytest.fixture
def note_factory(nest_db_session: Session) -> type[NoteFactory]:
    NoteFactory._meta.sqlalchemy_session = nest_db_session  # this test's database
    return NoteFactory


def test_seeded_with_factory_boy(note_factory: type[NoteFactory], nest_client: TestClient) -> None:
    note_factory.create_batch(3)
    assert [note["title"] for note in nest_client.get("/note/").json()] == [
        "note 0",
        "note 1",
        "note 2",
    ]


def make_note(session: Session, **fields: object) -> Note:
    note = Note(**{"title": "a note", **fields})
    session.add(note)
    session.commit()
    return note


def test_seeded_with_a_plain_function(nest_db_session: Session, nest_client: TestClient) -> None:
    note = make_note(nest_db_session, title="plain")
    assert nest_client.get("/note/").json() == [{"id": note.id, "title": "plain"}]


def test_with_the_builder() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).use_database(config)
    with builder.compile() as module:
        assert module.client.post("/note/", json={"title": "milk"}).json() == 1
        with module.database.session() as session:
            assert session.scalars(select(Note.title)).all() == ["milk"]
