"""Mocks, spies, auto-mocking, and module / guard / filter overrides."""

import re
import threading
from typing import Any
from unittest.mock import AsyncMock, create_autospec

import pytest
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from nest.common.exceptions import ExceptionFilter
from nest.core import Controller, Get, Injectable, InjectionToken, Module, Post
from nest.core.decorators.filters import Catch, UseFilters
from nest.core.decorators.guards import BaseGuard, UseGuards

from nest_testing import (
    ImplicitProviderError,
    ModuleOverrideError,
    NestTestingError,
    Test,
    UnknownOverrideError,
    UnknownTokenError,
    UsageError,
)


@Injectable
class Mailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, to: str) -> bool:
        self.sent.append(to)
        return True

    def sync_count(self) -> int:
        return len(self.sent)

    def fail(self) -> None:
        raise ValueError("mailer down")


@Injectable
class Signup:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    async def register(self, email: str) -> bool:
        return await self.mailer.send(email)


@Controller("signup")
class SignupController:
    def __init__(self, signup: Signup) -> None:
        self.signup = signup

    @Post("/")
    async def post(self, email: str) -> dict[str, bool]:
        return {"sent": await self.signup.register(email)}


@Module(controllers=[SignupController], providers=[Mailer, Signup])
class SignupModule:
    pass


# ── mock_provider ────────────────────────────────────────────────────────────


def test_mock_provider_serves_an_autospec_to_every_consumer() -> None:
    builder = Test.create_testing_module(imports=[SignupModule]).mock_provider(
        Mailer, **{"send.return_value": False}
    )
    with builder.compile() as module:
        mailer = module.mocks[Mailer]
        assert module.get(Mailer) is mailer
        assert module.get(Signup).mailer is mailer
        assert isinstance(mailer.send, AsyncMock)  # async method -> AsyncMock
        assert module.client.post("/signup", params={"email": "a@b.c"}).json() == {"sent": False}
        mailer.send.assert_awaited_once_with("a@b.c")
        with pytest.raises(AttributeError):
            mailer.no_such_method  # noqa: B018 - autospec: unknown attributes fail
        assert not hasattr(mailer, "on_module_init")  # no hooks faked into existence
        assert module.constructions[Mailer] == 0


def test_mock_provider_for_an_unknown_token_is_refused() -> None:
    class Mailr:
        pass

    builder = Test.create_testing_module(imports=[SignupModule]).mock_provider(Mailr)
    with pytest.raises(UnknownOverrideError, match="Did you mean: Mailer"):
        builder.compile()


def test_mocks_mapping_names_what_has_a_mock() -> None:
    with Test.create_testing_module(imports=[SignupModule]).mock_provider(Mailer).compile() as m:
        with pytest.raises(
            UnknownTokenError, match=r"Signup has no mock .*\(tokens with one: Mailer\)"
        ):
            m.mocks[Signup]
        assert list(m.mocks) == [Mailer]


def test_mock_of_a_factory_token_asks_for_an_explicit_mock() -> None:
    token = InjectionToken("URL")

    @Module(providers=[{"provide": token, "useFactory": lambda: "x"}])
    class UrlModule:
        pass

    builder = Test.create_testing_module(imports=[UrlModule]).mock_provider(token)
    with pytest.raises(NestTestingError, match="provided by a factory or an alias"):
        builder.compile()


# ── spy_provider ─────────────────────────────────────────────────────────────


def test_spy_behaves_like_the_real_provider_and_records_calls() -> None:
    with Test.create_testing_module(imports=[SignupModule]).spy_provider(Mailer).compile() as m:
        spy = m.spies[Mailer]
        assert m.get(Signup).mailer is spy
        assert m.get(Mailer) is spy
        assert isinstance(spy, Mailer)
        assert m.client.post("/signup", params={"email": "x@y.z"}).json() == {"sent": True}
        spy.send.assert_awaited_once_with("x@y.z")
        assert spy.sent == ["x@y.z"]  # the real state, read through
        assert spy.sync_count() == 1
        spy.sync_count.assert_called_once_with()
        with pytest.raises(ValueError, match="mailer down"):
            spy.fail()
        assert spy.fail.call_count == 1
        m.assert_constructed(Mailer, times=1)  # the real one, built once
        m.assert_singleton(Mailer)
        # What an assertion message shows for the spy: that it is one, and of what.
        assert re.fullmatch(r"<spy of <\S+\.Mailer object at 0x[0-9a-f]+>>", repr(spy))
        assert repr(m.spies) == f"spies({{Mailer: {spy!r}}})"
        spy.sent = ["set by the test"]  # on the real provider, read back through the spy
        assert spy.sent == ["set by the test"]


# ── use_mocker ───────────────────────────────────────────────────────────────


class Unregistered:
    def ping(self) -> str:
        return "real"


@Injectable
class NeedsUnregistered:
    def __init__(self, dep: Unregistered) -> None:
        self.dep = dep


SECRET = InjectionToken("SECRET")


def read_secret(secret: str) -> str:
    return secret.upper()


@Module(
    providers=[
        NeedsUnregistered,
        {"provide": "shout", "useFactory": read_secret, "inject": [SECRET]},
    ]
)
class HoleyModule:
    pass


def autospec_classes(token: Any) -> Any:
    if isinstance(token, type):
        return create_autospec(token, instance=True)
    if token == SECRET:
        return "hush"
    return None


def test_use_mocker_fills_every_hole_once() -> None:
    asked: list[Any] = []

    def mocker(token: Any) -> Any:
        asked.append(token)
        return autospec_classes(token)

    builder = Test.create_testing_module(imports=[HoleyModule]).use_mocker(mocker)
    with builder.compile() as module:
        dep = module.get(NeedsUnregistered).dep
        assert module.mocks[Unregistered] is dep
        assert module.mocks[SECRET] == "hush"
        assert module.get("shout") == "HUSH"
        assert sorted(map(str, asked)) == sorted(map(str, [SECRET, Unregistered]))


def test_strict_asks_the_mocker_first_and_rejects_what_it_declines() -> None:
    builder = Test.create_testing_module(imports=[HoleyModule]).strict()
    with builder.use_mocker(autospec_classes).compile() as module:
        assert isinstance(module.get(NeedsUnregistered).dep, Unregistered)

    declining = Test.create_testing_module(imports=[HoleyModule]).strict()
    declining.use_mocker(lambda token: "hush" if token == SECRET else None)
    with pytest.raises(ImplicitProviderError, match="Unregistered"):
        declining.compile()


# ── override_module ──────────────────────────────────────────────────────────

DB = InjectionToken("DB")


@Module(providers=[{"provide": DB, "useValue": "postgres"}], exports=[DB])
class DatabaseModule:
    pass


@Module(providers=[{"provide": DB, "useValue": "memory"}], exports=[DB])
class InMemoryDatabaseModule:
    pass


@Module(providers=[{"provide": DB, "useValue": "broken"}])
class NoExportDatabaseModule:
    pass


@Injectable
class Repo:
    def __init__(self) -> None:
        self.kind = "repo"


@Module(imports=[DatabaseModule], providers=[Repo], exports=[Repo])
class RepoModule:
    pass


@Module(imports=[RepoModule])
class ShopModule:
    pass


@pytest.mark.parametrize("form", ["pair", "use_module"])
def test_override_module_replaces_it_at_any_depth(form: str) -> None:
    builder = Test.create_testing_module(imports=[ShopModule])
    if form == "pair":
        builder.override_module(DatabaseModule, InMemoryDatabaseModule)
    else:
        builder.override_module(DatabaseModule).use_module(InMemoryDatabaseModule)
    with builder.compile() as module:
        assert module.get(DB) == "memory"
        assert module.select(RepoModule).get(DB) == "memory"
        with pytest.raises(UnknownTokenError):
            module.select(DatabaseModule)  # gone from the graph


@Module(
    imports=[DatabaseModule],
    providers=[Repo, {"provide": "dsn", "useFactory": str, "inject": [DB]}],
)
class DbConsumerModule:
    pass


def test_override_module_must_keep_the_exports_consumers_inject() -> None:
    # Nothing in ShopModule injects DB: a replacement that does not export it is fine.
    allowed = Test.create_testing_module(imports=[ShopModule])
    with allowed.override_module(DatabaseModule, NoExportDatabaseModule).compile() as module:
        assert module.get(Repo).kind == "repo"

    builder = Test.create_testing_module(imports=[DbConsumerModule])
    builder.override_module(DatabaseModule, NoExportDatabaseModule)
    with pytest.raises(
        ModuleOverrideError, match="NoExportDatabaseModule does not export"
    ) as info:
        builder.compile()
    assert "DbConsumerModule -> 'dsn' injects InjectionToken('DB')" in str(info.value)
    assert isinstance(info.value, NestTestingError)


def test_override_module_of_a_module_not_in_the_graph() -> None:
    builder = Test.create_testing_module(imports=[RepoModule])
    builder.override_module(InMemoryDatabaseModule, DatabaseModule)
    with pytest.raises(UnknownOverrideError, match="no module in this testing module imports"):
        builder.compile()


@pytest.mark.parametrize(
    "override",
    [
        lambda b: b.override_module(Repo, DatabaseModule),
        lambda b: b.override_module(DatabaseModule, Repo),
        lambda b: b.override_module(DatabaseModule).use_module(Repo),
    ],
    ids=["module", "replacement", "use_module"],
)
def test_override_module_requires_modules(override: Any) -> None:
    builder = Test.create_testing_module(imports=[ShopModule])
    with pytest.raises(UsageError, match=r"takes PyNest @Module classes; .*Repo.* is not one"):
        override(builder)


# ── guards ───────────────────────────────────────────────────────────────────


class TokenGuard(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return request.headers.get("x-token") == "secret"


class AllowAll(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return True


@Controller("vault")
class VaultController:
    @Get("/")
    @UseGuards(TokenGuard)
    def open(self) -> dict[str, str]:
        return {"gold": "yes"}

    @Get("/public")
    def public(self) -> dict[str, str]:
        return {"gold": "no"}


@Module(controllers=[VaultController])
class VaultModule:
    pass


def vault_status(builder_setup: Any = None) -> int:
    builder = Test.create_testing_module(imports=[VaultModule])
    if builder_setup is not None:
        builder_setup(builder)
    with builder.compile() as module:
        return int(module.client.get("/vault").status_code)


@pytest.mark.parametrize(
    "setup",
    [
        lambda b: b.override_guard(TokenGuard, AllowAll),
        lambda b: b.override_guard(TokenGuard, AllowAll()),
        lambda b: b.override_guard(TokenGuard).use_class(AllowAll),
        lambda b: b.override_guard(TokenGuard).use_value(AllowAll()),
    ],
    ids=["class", "instance", "use_class", "use_value"],
)
def test_guard_override_applies_to_this_module_only(setup: Any) -> None:
    assert vault_status() == 403
    assert vault_status(setup) == 200
    assert vault_status() == 403  # compiled afterwards: the real guard again


@pytest.mark.parametrize("form", ["use_class", "use_value", "two-argument"])
def test_guard_override_steps_return_the_builder_for_chaining(form: str) -> None:
    builder = Test.create_testing_module(imports=[VaultModule])
    if form == "use_class":
        chained = builder.override_guard(TokenGuard).use_class(AllowAll)
    elif form == "use_value":
        chained = builder.override_guard(TokenGuard).use_value(AllowAll())
    else:
        chained = builder.override_guard(TokenGuard, AllowAll)
    assert chained is builder
    with chained.hook_timeout(30).compile() as module:
        assert module.client.get("/vault").status_code == 200


@pytest.mark.parametrize("bad", [42, object, "AllowAll"], ids=["int", "class", "str"])
def test_a_guard_replacement_that_is_no_guard_is_a_usage_error(bad: object) -> None:
    builder = Test.create_testing_module(imports=[VaultModule]).override_guard(TokenGuard, bad)
    with pytest.raises(UsageError, match=r"override_guard\(\) expects a BaseGuard subclass or"):
        builder.compile()


def test_guard_override_does_not_leak_into_a_concurrent_module() -> None:
    results: dict[str, int] = {}
    overridden_open = threading.Event()
    plain_done = threading.Event()

    def overridden() -> None:
        builder = Test.create_testing_module(imports=[VaultModule])
        with builder.override_guard(TokenGuard, AllowAll).compile() as module:
            overridden_open.set()
            plain_done.wait(timeout=10)
            results["overridden"] = module.client.get("/vault").status_code

    def plain() -> None:
        overridden_open.wait(timeout=10)
        try:
            results["plain"] = vault_status()
        finally:
            plain_done.set()

    threads = [threading.Thread(target=overridden), threading.Thread(target=plain)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert results == {"overridden": 200, "plain": 403}
    assert TokenGuard.can_activate is not AllowAll.can_activate  # nothing was patched


def test_guard_override_for_a_guard_no_route_uses() -> None:
    builder = Test.create_testing_module(imports=[VaultModule]).override_guard(AllowAll, AllowAll)
    with pytest.raises(UnknownOverrideError, match="Guards in use: TokenGuard"):
        builder.compile()


# ── filters ──────────────────────────────────────────────────────────────────


class Boom(Exception):
    pass


@Catch(Boom)
class BoomFilter(ExceptionFilter):
    async def catch(self, exception: Exception, host: Any) -> JSONResponse:
        return JSONResponse({"filtered_by": "real"}, status_code=500)


@Catch(Boom)
class RecordingFilter(ExceptionFilter):
    async def catch(self, exception: Exception, host: Any) -> JSONResponse:
        return JSONResponse({"filtered_by": "recording"}, status_code=418)


@Controller("boom")
@UseFilters(BoomFilter)
class BoomController:
    @Get("/")
    def explode(self) -> None:
        raise Boom()


@Module(controllers=[BoomController])
class BoomModule:
    pass


def boom_response(builder_setup: Any = None) -> tuple[int, Any]:
    builder = Test.create_testing_module(imports=[BoomModule])
    if builder_setup is not None:
        builder_setup(builder)
    with builder.compile() as module:
        response = module.client.get("/boom")
        return response.status_code, response.json()


def test_filter_override_applies_to_this_module_only() -> None:
    assert boom_response() == (500, {"filtered_by": "real"})
    assert boom_response(lambda b: b.override_filter(BoomFilter, RecordingFilter)) == (
        418,
        {"filtered_by": "recording"},
    )
    assert boom_response(lambda b: b.override_filter(BoomFilter).use_value(RecordingFilter())) == (
        418,
        {"filtered_by": "recording"},
    )
    assert boom_response() == (500, {"filtered_by": "real"})
    assert BoomController.__filters__ == [BoomFilter]  # the class is untouched


def test_incomplete_overrides_are_named() -> None:
    builder = Test.create_testing_module(imports=[VaultModule])
    builder.override_guard(TokenGuard)
    expected = r"never completed:\n  override_guard\(TokenGuard\): follow it with \.use_class"
    with pytest.raises(UsageError, match=expected):
        builder.compile()


# ── replacements reach FastAPI Depends() too ─────────────────────────────────


class RateLimiter:
    def __init__(self) -> None:
        self.real = True


@Controller("limited")
class LimitedController:
    @Get("/")
    def limited(self, limiter: RateLimiter = Depends(RateLimiter)) -> dict[str, Any]:
        return {"real": getattr(limiter, "real", None), "type": type(limiter).__name__}


@Module(controllers=[LimitedController], providers=[RateLimiter])
class LimitedModule:
    pass


class FakeLimiter:
    real = False


def test_an_override_is_what_depends_receives() -> None:
    with Test.create_testing_module(imports=[LimitedModule]).compile() as module:
        assert module.client.get("/limited").json() == {"real": True, "type": "RateLimiter"}
        assert module.constructions.by_phase["request"] == {RateLimiter: 1}

    fake = FakeLimiter()
    builder = Test.create_testing_module(imports=[LimitedModule]).override_provider(
        RateLimiter, fake
    )
    with builder.compile() as module:
        assert module.client.get("/limited").json() == {"real": False, "type": "FakeLimiter"}
        assert module.constructions.by_phase["request"] == {}

    with (
        Test.create_testing_module(imports=[LimitedModule])
        .mock_provider(RateLimiter)
        .compile() as m
    ):
        m.client.get("/limited")
        assert m.client.get("/limited").json()["type"] == "NonCallableMagicMock"
