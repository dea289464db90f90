"""Server errors as responses: module.client raises the app's exception (starlette's
default); client_for(raise_server_exceptions=False) and
async_client(raise_app_exceptions=False) answer 500, as a deployed app does."""

from typing import Any

import pytest
from fastapi.responses import JSONResponse
from nest.common.exceptions import ExceptionFilter
from nest.core import Controller, Get, Module
from nest.core.decorators.filters import Catch, UseFilters

from nest_testing import Test, UsageError


class Boom(Exception):
    pass


class Handled(Exception):
    pass


@Catch(Handled)
class HandledFilter(ExceptionFilter):
    async def catch(self, exception: Exception, host: Any) -> JSONResponse:
        return JSONResponse({"error": "handled"}, status_code=418)


@Controller("errors")
@UseFilters(HandledFilter)
class ErrorsController:
    @Get("/boom")
    def boom(self) -> None:
        raise Boom("kaboom")

    @Get("/handled")
    def handled(self) -> None:
        raise Handled("filtered")

    @Get("/ok")
    def ok(self) -> dict[str, bool]:
        return {"ok": True}


@Module(controllers=[ErrorsController])
class ErrorsModule:
    pass


def test_module_client_raises_the_app_s_exception() -> None:
    with Test.create_testing_module(imports=[ErrorsModule]).compile() as module:
        with pytest.raises(Boom, match="kaboom"):
            module.client.get("/errors/boom")
        assert module.client_for() is module.client


def test_client_for_answers_500_and_filters_still_answer() -> None:
    with Test.create_testing_module(imports=[ErrorsModule]).compile() as module:
        client = module.client_for(raise_server_exceptions=False)
        response = client.get("/errors/boom")
        assert response.status_code == 500
        assert response.text == "Internal Server Error"
        assert client.get("/errors/handled").json() == {"error": "handled"}
        assert client.get("/errors/ok").json() == {"ok": True}
        assert module.client_for(raise_server_exceptions=False) is client
        assert client is not module.client
    with pytest.raises(UsageError, match="testing module that is closed"):  # closed with it
        client.get("/errors/ok")


@pytest.mark.asyncio
async def test_async_client_answers_500_on_the_test_s_loop() -> None:
    async with await Test.create_testing_module(imports=[ErrorsModule]).compile_async() as module:
        async with module.async_client() as raising:
            with pytest.raises(Boom):
                await raising.get("/errors/boom")
        async with module.async_client(raise_app_exceptions=False) as client:
            response = await client.get("/errors/boom")
            assert response.status_code == 500
            assert (await client.get("/errors/handled")).status_code == 418
        with pytest.raises(UsageError, match="compile_async"):
            module.client_for(raise_server_exceptions=False)


@pytest.mark.asyncio
async def test_async_client_of_a_threaded_module_answers_500() -> None:
    module = Test.create_testing_module(imports=[ErrorsModule]).compile()
    try:
        async with module.async_client(raise_app_exceptions=False) as client:
            assert (await client.get("/errors/boom")).status_code == 500
    finally:
        await module.aclose()


@pytest.mark.asyncio
async def test_error_responses_as_the_clients_page_shows_them() -> None:
    module = Test.create_testing_module(imports=[ErrorsModule]).compile()
    try:
        client = module.client_for(raise_server_exceptions=False)  # a module from compile()
        assert client.get("/errors/boom").status_code == 500

        async with module.async_client(raise_app_exceptions=False) as client:  # either kind
            assert (await client.get("/errors/boom")).status_code == 500
    finally:
        await module.aclose()
