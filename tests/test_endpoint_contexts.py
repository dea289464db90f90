"""FastAPI's error context of an endpoint (its file, line and function, in validation
errors) stays right across a suite's modules: a closed module leaves none of its
endpoints' entries in FastAPI's process-wide cache, keyed by `id(endpoint)`, where a
later module's endpoint would find them once the id comes round again."""

import inspect
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.exceptions import ResponseValidationError
from nest.core import Controller, Get, Module

from nest_testing import Test

CACHE: Any = getattr(fastapi.routing, "_endpoint_context_cache", None)

pytestmark = pytest.mark.skipif(
    not isinstance(CACHE, dict), reason="this FastAPI keeps no endpoint context cache"
)


def make_module(name: str) -> tuple[type, type]:
    """A module whose one route answers what its response model refuses."""

    @Controller(name)
    class BrokenController:
        @Get("/")
        def answer(self) -> int:
            return "not a number"  # type: ignore[return-value]

    BrokenController.answer.__name__ = f"answer_of_{name}"

    @Module(controllers=[BrokenController])
    class BrokenModule:
        pass

    return BrokenModule, BrokenController


def endpoint_ids(module: Any) -> list[int]:
    return [
        id(route.dependant.call)
        for route in module.http_server.routes
        if getattr(route, "dependant", None) is not None
    ]


def test_a_closed_module_leaves_no_endpoint_context_behind() -> None:
    root, _ = make_module("sync")
    with Test.create_testing_module(imports=[root]).compile() as module:
        with pytest.raises(ResponseValidationError):
            module.client.get("/sync")
        ids = endpoint_ids(module)
        assert any(i in CACHE for i in ids)  # FastAPI filled it on the request
    assert not any(i in CACHE for i in ids)


@pytest.mark.asyncio
async def test_a_closed_async_module_leaves_no_endpoint_context_behind() -> None:
    root, _ = make_module("async")
    async with await Test.create_testing_module(imports=[root]).compile_async() as module:
        async with module.async_client() as client:
            with pytest.raises(ResponseValidationError):
                await client.get("/async")
        ids = endpoint_ids(module)
        assert any(i in CACHE for i in ids)
    assert not any(i in CACHE for i in ids)


def test_mounted_apps_routes_are_forgotten_too() -> None:
    sub = FastAPI()

    @sub.get("/inner")
    def inner() -> int:
        return "not a number"  # type: ignore[return-value]

    root, _ = make_module("outer")
    builder = Test.create_testing_module(imports=[root])
    with builder.configure_app(lambda app: app.http_server.mount("/sub", sub)).compile() as m:
        with pytest.raises(ResponseValidationError):
            m.client.get("/sub/inner")
        assert id(inner) in CACHE
    assert id(inner) not in CACHE


def test_validation_errors_name_their_own_endpoint_module_after_module() -> None:
    # Module after module, as a suite makes them: each error names its own endpoint,
    # never one of a module closed before whose id a new bound method took over.
    modules = [make_module(f"m{n}") for n in range(6)]
    before = len(CACHE)
    for _ in range(10):
        for n, (root, controller) in enumerate(modules):
            builder = Test.create_testing_module(imports=[root])
            with builder.compile() as module, pytest.raises(ResponseValidationError) as caught:
                module.client.get(f"/m{n}")
            context = caught.value.endpoint_ctx
            assert context["function"] == f"answer_of_m{n}"
            assert context["line"] == inspect.getsourcelines(controller.answer)[1]
            assert context["path"] == f"GET /m{n}"
    assert len(CACHE) <= before  # nothing piled up


def test_an_entry_left_under_a_new_endpoints_id_is_not_used() -> None:
    # What an earlier app leaves behind: an entry under an id that a new endpoint of
    # this module took over (planted here, while the app is assembled, for each route).
    def plant(app: Any) -> None:
        for route in app.http_server.routes:
            if getattr(route, "dependant", None) is not None:
                CACHE[id(route.dependant.call)] = {
                    "file": "gone.py",
                    "line": 1,
                    "function": "gone",
                }

    root, controller = make_module("planted")
    builder = Test.create_testing_module(imports=[root]).configure_app(plant)
    with builder.compile() as module, pytest.raises(ResponseValidationError) as caught:
        module.client.get("/planted")
    assert caught.value.endpoint_ctx["function"] == "answer_of_planted"
    assert caught.value.endpoint_ctx["line"] == inspect.getsourcelines(controller.answer)[1]


def test_a_reused_routes_context_follows_its_functions_new_code() -> None:
    # With the blueprint cache on, a route made from a template gets its context from
    # the template's function, worked out once: an endpoint given other code (another
    # line) is named at its new line, module after module.
    root, controller = make_module("recoded")

    def line_seen() -> int:
        builder = Test.create_testing_module(imports=[root])
        with builder.compile() as module, pytest.raises(ResponseValidationError) as caught:
            module.client.get("/recoded")
        assert caught.value.endpoint_ctx["function"] == "answer_of_recoded"
        line: int = caught.value.endpoint_ctx["line"]
        return line

    first = inspect.getsourcelines(controller.answer)[1]
    assert [line_seen(), line_seen()] == [first, first]

    def elsewhere(self: Any) -> int:
        return "still not a number"  # type: ignore[return-value]

    controller.answer.__code__ = elsewhere.__code__
    moved = inspect.getsourcelines(controller.answer)[1]
    assert moved != first
    assert [line_seen(), line_seen(), line_seen()] == [moved, moved, moved]
