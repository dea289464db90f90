"""Depends(SomeClass) counted on the module's own dependants, dependency_overrides empty."""

from typing import Any

import pytest
from fastapi import Depends
from fastapi.routing import APIRoute
from nest.core import Controller, Get, Module

from nest_testing import Test, TestingModule


class Settings:
    def __init__(self) -> None:
        self.name = "real"


class Session:
    def __init__(self, settings: Settings = Depends(Settings)) -> None:
        self.settings = settings


def plain_dependency() -> str:
    return "plain"


@Controller("/dc")
class DependsController:
    @Get("/nested")
    def nested(
        self, session: Session = Depends(Session), again: Session = Depends(Session)
    ) -> dict[str, Any]:
        return {"same": session is again, "name": session.settings.name}

    @Get("/plain")
    def plain(self, value: str = Depends(plain_dependency)) -> dict[str, str]:
        return {"value": value}


@Module(controllers=[DependsController])
class DependsModule:
    pass


@pytest.fixture(params=[True, False], ids=["cache-on", "cache-off"])
def module(request: pytest.FixtureRequest) -> TestingModule:
    builder = Test.create_testing_module(imports=[DependsModule])
    with builder.use_blueprint_cache(request.param).compile() as compiled:
        yield compiled


def test_classes_are_counted_without_filling_dependency_overrides(module: TestingModule) -> None:
    server = module.app.http_server
    assert server.dependency_overrides == {}  # FastAPI rebuilds no dependant per request
    with module.track_constructions() as delta:
        for _ in range(2):
            assert module.client.get("/dc/nested").json() == {"same": True, "name": "real"}
    assert delta == {Session: 2, Settings: 2}  # one per request: FastAPI's cache holds
    assert module.client.get("/dc/plain").json() == {"value": "plain"}


def test_a_route_without_a_class_dependency_keeps_fastapis_dependant(
    module: TestingModule,
) -> None:
    (plain,) = [r for r in module.app.http_server.routes if getattr(r, "path", "") == "/dc/plain"]
    assert isinstance(plain, APIRoute)
    assert [d.call for d in plain.dependant.dependencies] == [plain_dependency]


def test_an_override_of_a_counted_class_set_after_compile_still_wins(
    module: TestingModule,
) -> None:
    fake = Settings()
    fake.name = "fake"
    module.app.http_server.dependency_overrides[Settings] = lambda: fake
    with module.track_constructions() as delta:
        assert module.client.get("/dc/nested").json() == {"same": True, "name": "fake"}
    assert delta == {Session: 1}
    module.app.http_server.dependency_overrides.clear()
    assert module.client.get("/dc/nested").json() == {"same": True, "name": "real"}


def test_the_openapi_schema_is_the_one_pynest_serves() -> None:
    from nest.core import PyNestFactory

    expected = PyNestFactory.create(DependsModule).http_server.openapi()
    with Test.create_testing_module(imports=[DependsModule]).compile() as module:
        assert module.app.http_server.openapi()["paths"] == expected["paths"]
