"""use_auto_mock(): the solitary unit test in one line (PyNest PR #136's TestBed)."""

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest
from fastapi import Depends
from nest.core import Controller, Get, Injectable, InjectionToken, Module

from nest_testing import Test, UnknownOverrideError, UsageError

URL = InjectionToken("URL")
built: list[str] = []


@Injectable
class Repo:
    def __init__(self) -> None:
        built.append("Repo")

    def find(self, key: str) -> str:
        return f"real {key}"


@Injectable
class Mailer:
    def __init__(self) -> None:
        built.append("Mailer")

    async def send(self, to: str) -> bool:
        return True


@Injectable
class Clock:
    def __init__(self) -> None:
        built.append("Clock")

    def now(self) -> int:
        return 1


@Injectable
class Service:
    def __init__(self, repo: Repo, mailer: Mailer, clock: Clock) -> None:
        built.append("Service")
        self.repo, self.mailer, self.clock = repo, mailer, clock

    async def handle(self, key: str) -> str:
        await self.mailer.send(key)
        return f"{self.repo.find(key)} at {self.clock.now()}"


@Controller("svc")
class ServiceController:
    def __init__(self, service: Service) -> None:
        self.service = service

    @Get("/")
    async def get(self, clock: Clock = Depends(Clock)) -> dict[str, Any]:
        return {"handled": await self.service.handle("k"), "now": clock.now()}


@Module(
    providers=[Repo, Mailer, Clock, Service, {"provide": URL, "useValue": "sqlite://"}],
    controllers=[ServiceController],
)
class AppModule:
    pass


@pytest.fixture(autouse=True)
def _clear_built() -> None:
    built.clear()


def test_every_class_provider_but_the_excluded_one_is_a_mock() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).use_auto_mock(exclude=[Service])
    with builder.compile() as module:
        service = module.get(Service)
        repo = module.mocks[Repo]
        repo.find.return_value = "mocked k"
        module.mocks[Clock].now.return_value = 7

        assert isinstance(repo, Repo)
        assert isinstance(module.mocks[Mailer].send, AsyncMock)
        assert service.repo is repo
        assert module.get(Repo) is repo
        response = module.client.get("/svc")
        assert response.json() == {"handled": "mocked k at 7", "now": 7}  # Depends(Clock) too
        module.mocks[Mailer].send.assert_awaited_once_with("k")

        assert built == ["Service"]  # nothing mocked was built
        assert set(module.mocks) == {Repo, Mailer, Clock}
        assert module.get(URL) == "sqlite://"  # values stay real
        assert module.graph.node(Repo).status == "mocked"
        assert module.graph.node(Service).status == "real"
        assert module.constructions[Repo] == 0
        module.assert_singleton(Repo)


def test_explicit_doubles_win_over_the_auto_mock() -> None:
    class FakeClock:
        def now(self) -> int:
            return 42

    builder = (
        Test.create_testing_module(imports=[AppModule])
        .use_auto_mock(exclude=[Service])
        .override_provider(Clock, FakeClock)
        .spy_provider(Repo)
        .mock_provider(Mailer, **{"send.return_value": False})
    )
    with builder.compile() as module:
        assert module.get(Clock).now() == 42
        assert module.get(Repo).find("x") == "real x"
        module.spies[Repo].find.assert_called_once_with("x")
        assert module.graph.node(Clock).status == "overridden"
        assert module.graph.node(Repo).status == "spied"
        assert list(module.mocks) == [Mailer]


def test_a_factory_makes_the_doubles_and_may_keep_one_real() -> None:
    asked: list[type] = []

    def factory(cls: type) -> Any:
        asked.append(cls)
        return None if cls is Clock else MagicMock(name=cls.__name__)

    builder = Test.create_testing_module(imports=[AppModule])
    with builder.use_auto_mock(factory=factory).compile() as module:
        assert set(asked) == {Repo, Mailer, Clock, Service}
        assert type(module.get(Clock)) is Clock
        assert module.get(Service) is module.mocks[Service]
        assert Clock not in module.mocks


def test_exclude_names_what_the_graph_has() -> None:
    class Mailr:
        pass

    builder = Test.create_testing_module(imports=[AppModule]).use_auto_mock(exclude=[Mailr])
    with pytest.raises(UnknownOverrideError) as raised:
        builder.compile()
    assert str(raised.value).startswith(
        "use_auto_mock(exclude=[Mailr]): no module in this testing module provides "
        "Mailr. Did you mean: Mailer?"
    )


def test_exclude_must_be_a_list() -> None:
    with pytest.raises(UsageError, match=r"write exclude=\[Token\]"):
        Test.create_testing_module(imports=[AppModule]).use_auto_mock(exclude=Service)  # type: ignore[arg-type]
