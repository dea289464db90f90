"""override_pipe (PyNest's parameter pipes, counted per request like Depends(Class)) and
use_factory for guards, filters and pipes."""

import inspect
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import JSONResponse
from nest.common.exceptions import ExceptionFilter
from nest.core import Controller, Get, Injectable, Module, Param, Query
from nest.core.decorators.filters import Catch, UseFilters
from nest.core.decorators.guards import BaseGuard, UseGuards

from nest_testing import ProviderConstructionError, Test, UnknownOverrideError, UsageError


class ParseIntPipe:
    def transform(self, value: Any) -> int:
        return int(value)


class Upper:
    def __call__(self, value: str) -> str:
        return value.upper()


class Strict(ParseIntPipe):
    pass


class Fails(Exception):
    pass


class DenyAll(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return False


@Catch(Fails)
class FailsFilter(ExceptionFilter):
    async def catch(self, exception: Exception, host: Any) -> JSONResponse:
        return JSONResponse({"filter": "real"}, status_code=500)


@Controller("pipes")
@UseFilters(FailsFilter)
class PipesController:
    @Get("/items/{item_id}")
    def item(self, item_id: int = Param("item_id", ParseIntPipe)) -> dict[str, Any]:
        return {"id": item_id, "type": type(item_id).__name__}

    @Get("/shout")
    def shout(self, word: str = Query("word", Upper)) -> dict[str, str]:
        return {"word": word}

    @Get("/guarded")
    @UseGuards(DenyAll)
    def guarded(self) -> dict[str, bool]:
        return {"in": True}

    @Get("/fails")
    def fails(self) -> None:
        raise Fails("no")


@Injectable
class Settings:
    def __init__(self) -> None:
        self.allow = True
        self.offset = 100


@Module(controllers=[PipesController], providers=[Settings])
class PipesModule:
    pass


class Plus:
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def transform(self, value: Any) -> int:
        return int(value) + self.offset


class Doubled:
    def transform(self, value: Any) -> int:
        return int(value) * 2


class CalledDoubled:
    """A pipe class whose instances are called rather than asked to transform."""

    def __call__(self, value: Any) -> int:
        return int(value) * 2


def test_pipes_are_counted_per_request_like_depends() -> None:
    with Test.create_testing_module(imports=[PipesModule]).compile() as module:
        client = module.client
        assert client.get("/pipes/items/3").json() == {"id": 3, "type": "int"}
        assert client.get("/pipes/items/4").json() == {"id": 4, "type": "int"}
        assert client.get("/pipes/shout?word=hi").json() == {"word": "HI"}
        assert module.constructions[ParseIntPipe] == 2
        assert module.constructions.by_phase["request"][Upper] == 1


@pytest.mark.parametrize(
    "form",
    ["pair_class", "use_class", "use_value", "use_factory", "pair_callable", "pair_called_class"],
)
def test_override_pipe_replaces_it_on_this_module_only(form: str) -> None:
    builder = Test.create_testing_module(imports=[PipesModule])
    if form == "pair_class":
        builder.override_pipe(ParseIntPipe, Doubled)
    elif form == "use_class":
        builder.override_pipe(ParseIntPipe).use_class(Doubled)
    elif form == "use_value":
        builder.override_pipe(ParseIntPipe).use_value(Doubled())
    elif form == "use_factory":
        builder.override_pipe(ParseIntPipe).use_factory(Doubled)
    elif form == "pair_callable":
        builder.override_pipe(ParseIntPipe, lambda value: int(value) * 2)
    else:
        builder.override_pipe(ParseIntPipe, CalledDoubled)
    plain = Test.create_testing_module(imports=[PipesModule])
    with builder.compile() as overridden, plain.compile() as real:
        assert overridden.client.get("/pipes/items/3").json()["id"] == 6
        assert real.client.get("/pipes/items/3").json()["id"] == 3
        assert overridden.constructions[ParseIntPipe] == 0
        if "class" in form:  # built per request, as PyNest builds a pipe class
            doubled = CalledDoubled if form == "pair_called_class" else Doubled
            assert overridden.constructions[doubled] == 1
    metadata = inspect.signature(PipesController.item).parameters["item_id"].default
    assert metadata.pipes == (ParseIntPipe,)  # the route's own metadata is untouched
    with Test.create_testing_module(imports=[PipesModule]).compile() as later:
        assert later.client.get("/pipes/items/3").json()["id"] == 3


def test_override_pipe_use_factory_with_injected_providers() -> None:
    builder = Test.create_testing_module(imports=[PipesModule])
    builder.override_pipe(ParseIntPipe).use_factory(lambda s: Plus(s.offset), inject=[Settings])
    with builder.compile() as module:
        assert module.client.get("/pipes/items/3").json()["id"] == 103


def test_unknown_pipe_and_bad_replacements() -> None:
    unknown = Test.create_testing_module(imports=[PipesModule]).override_pipe(Strict, Doubled)
    with pytest.raises(UnknownOverrideError) as raised:
        unknown.compile()
    assert str(raised.value) == (
        "override_pipe(Strict): no route of this testing module uses it. "
        "Pipes in use: ParseIntPipe, Upper."
    )
    bad = Test.create_testing_module(imports=[PipesModule]).override_pipe(ParseIntPipe, 3)
    with pytest.raises(UsageError, match=r"override_pipe\(ParseIntPipe\) expects a pipe"):
        bad.compile()
    pending = Test.create_testing_module(imports=[PipesModule])
    pending.override_pipe(ParseIntPipe)
    with pytest.raises(UsageError, match=r"\.use_value\(\.\.\.\) or \.use_factory\(\.\.\.\)"):
        pending.compile()


class AllowIf(BaseGuard):
    def __init__(self, allow: bool) -> None:
        self.allow = allow

    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return self.allow


def test_override_guard_use_factory_injects_providers() -> None:
    builder = Test.create_testing_module(imports=[PipesModule])
    builder.override_guard(DenyAll).use_factory(lambda s: AllowIf(s.allow), inject=[Settings])
    with builder.compile() as module:
        assert module.client.get("/pipes/guarded").json() == {"in": True}


def test_use_factory_of_something_not_callable_is_a_usage_error() -> None:
    builder = Test.create_testing_module(imports=[PipesModule])
    with pytest.raises(
        UsageError, match=r"override_guard\(\)\.use_factory\(\) expects a callable, got 42"
    ):
        builder.override_guard(DenyAll).use_factory(42)  # type: ignore[arg-type]


def test_override_filter_use_factory() -> None:
    @Catch(Fails)
    class Answering(ExceptionFilter):
        def __init__(self, tag: str) -> None:
            self.tag = tag

        async def catch(self, exception: Exception, host: Any) -> JSONResponse:
            return JSONResponse({"filter": self.tag}, status_code=409)

    builder = Test.create_testing_module(imports=[PipesModule])
    builder.override_filter(FailsFilter).use_factory(lambda: Answering("made"))
    with builder.compile() as module:
        response = module.client.get("/pipes/fails")
        assert (response.status_code, response.json()) == (409, {"filter": "made"})


def test_a_factory_that_raises_or_is_async() -> None:
    def broken() -> Any:
        raise RuntimeError("no guard today")

    raising = Test.create_testing_module(imports=[PipesModule])
    raising.override_guard(DenyAll).use_factory(broken)
    with pytest.raises(ProviderConstructionError) as raised:
        raising.compile()
    assert str(raised.value) == (
        "override_guard(DenyAll).use_factory(broken): RuntimeError('no guard today')"
    )

    async def later() -> Any:
        return AllowIf(True)

    awaiting = Test.create_testing_module(imports=[PipesModule])
    awaiting.override_guard(DenyAll).use_factory(later)
    with pytest.raises(UsageError, match="the factory is async"):
        awaiting.compile()


class LenientIntPipe:
    def transform(self, value: Any) -> int:
        return int(float(value))


def make_pipe(settings: Settings) -> Doubled:
    return Doubled()


def test_override_pipe_forms_as_the_docs_show_them() -> None:
    builder = Test.create_testing_module(imports=[PipesModule])
    # fmt: off
    builder.override_pipe(ParseIntPipe, LenientIntPipe)              # a class: built per request
    builder.override_pipe(ParseIntPipe, lambda value: 7)              # an object or a callable
    builder.override_pipe(ParseIntPipe).use_factory(make_pipe, inject=[Settings])
    # fmt: on
    with builder.compile() as module:  # the last one wins
        assert module.client.get("/pipes/items/3").json()["id"] == 6
