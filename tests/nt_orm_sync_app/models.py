from pydantic import BaseModel


class Note(BaseModel):
    title: str


class User(BaseModel):
    name: str
