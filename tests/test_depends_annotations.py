"""`Depends(SomeClass)` counted by nest-testing, in a file with string annotations
(`from __future__ import annotations`): FastAPI must still see the real types."""

from __future__ import annotations

from fastapi import Depends, Request
from nest.core import Controller, Get, Module

from nest_testing import Test


class Paging:
    """Built by FastAPI per request: a query parameter and the request, both annotated
    with names that only this file's globals resolve."""

    def __init__(self, request: Request, limit: int = 10) -> None:
        self.path = request.url.path
        self.limit = limit


@Controller("pages")
class PageController:
    @Get("/")
    def pages(self, paging: Paging = Depends(Paging)) -> dict[str, object]:
        return {"path": paging.path, "limit": paging.limit}


@Module(controllers=[PageController])
class PageModule:
    pass


def test_a_depends_class_with_string_annotations_is_served_and_counted() -> None:
    with Test.create_testing_module(imports=[PageModule]).compile() as module:
        assert module.client.get("/pages", params={"limit": 3}).json() == {
            "path": "/pages",
            "limit": 3,
        }
        assert module.client.get("/pages").json()["limit"] == 10
        assert module.client.get("/pages", params={"limit": "x"}).status_code == 422
        assert module.constructions[Paging] == 2
