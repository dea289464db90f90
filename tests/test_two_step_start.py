"""``compile(init=False)`` then ``module.init()``: providers built, no hook run, no app
served until init (NestJS's ``app.init()``), and closing before init runs no hook."""

from typing import Any

import pytest
from nest.core import Controller, Get, Injectable, Module

from nest_testing import LifecycleHookError, NestTestingError, Test, UsageError

EVENTS: list[str] = []


@pytest.fixture(autouse=True)
def _events() -> Any:
    EVENTS.clear()
    yield
    EVENTS.clear()


@Injectable
class Mailer:
    def __init__(self) -> None:
        EVENTS.append("built Mailer")
        self.greeting = "real"

    def on_module_init(self) -> None:
        EVENTS.append(f"init Mailer ({self.greeting})")

    def on_application_shutdown(self, signal: str | None = None) -> None:
        EVENTS.append("shutdown Mailer")


@Controller("mail")
class MailController:
    def __init__(self, mailer: Mailer) -> None:
        EVENTS.append("built MailController")
        self.mailer = mailer

    @Get("/")
    def greeting(self) -> dict[str, str]:
        return {"greeting": self.mailer.greeting}


@Module(providers=[Mailer], controllers=[MailController])
class MailModule:
    pass


def test_compile_without_init_builds_providers_and_runs_no_hook() -> None:
    module = Test.create_testing_module(imports=[MailModule]).compile(init=False)
    try:
        assert EVENTS == ["built Mailer"]
        module.get(Mailer).greeting = "arranged"  # between the two steps
        with pytest.raises(UsageError, match=r"init=False: call module\.init\(\)"):
            _ = module.client
        module.init()
        module.init()  # once
        assert EVENTS == ["built Mailer", "init Mailer (arranged)", "built MailController"]
        assert module.client.get("/mail").json() == {"greeting": "arranged"}
        module.assert_constructed(Mailer, times=1)
    finally:
        module.close()
    assert EVENTS[-1] == "shutdown Mailer"


def test_closing_before_init_runs_no_shutdown_hook() -> None:
    Test.create_testing_module(imports=[MailModule]).compile(init=False).close()
    assert EVENTS == ["built Mailer"]


def test_lazy_without_init_builds_nothing_until_init() -> None:
    with Test.create_testing_module(imports=[MailModule]).lazy().compile(init=False) as module:
        assert EVENTS == []
        module.init()
        assert EVENTS == ["built Mailer", "init Mailer (real)"]


@pytest.mark.asyncio
async def test_compile_async_without_init_then_ainit() -> None:
    module = await Test.create_testing_module(imports=[MailModule]).compile_async(init=False)
    try:
        with pytest.raises(UsageError, match="init=False"):
            async with module.async_client():
                pass
        with pytest.raises(UsageError, match=r"await module\.ainit\(\)"):
            module.init()
        await module.ainit()
        async with module.async_client() as client:
            assert (await client.get("/mail")).json() == {"greeting": "real"}
    finally:
        await module.aclose()
    assert EVENTS[-1] == "shutdown Mailer"


@pytest.mark.asyncio
async def test_ainit_of_a_module_on_its_own_loop() -> None:
    module = Test.create_testing_module(imports=[MailModule]).compile(init=False)
    await module.ainit()
    async with module.async_client() as client:
        assert (await client.get("/mail")).status_code == 200
    await module.aclose()


@Injectable
class Failing:
    def __init__(self) -> None:
        pass

    def on_module_init(self) -> None:
        raise RuntimeError("init failed")


def test_a_failing_init_shuts_down_what_started_and_closes_the_module() -> None:
    module = Test.create_testing_module(imports=[MailModule, _module(Failing)]).compile(init=False)
    with pytest.raises(LifecycleHookError, match=r"Failing\.on_module_init"):
        module.init()
    assert "shutdown Mailer" in EVENTS
    with pytest.raises(UsageError, match="closed"):
        module.get(Mailer)
    module.close()


@pytest.mark.asyncio
async def test_a_failing_ainit_on_the_tests_loop_closes_the_module_too() -> None:
    builder = Test.create_testing_module(imports=[MailModule, _module(Failing)])
    module = await builder.compile_async(init=False)
    with pytest.raises(LifecycleHookError, match=r"Failing\.on_module_init"):
        await module.ainit()
    assert "shutdown Mailer" in EVENTS
    with pytest.raises(UsageError, match="closed"):
        module.get(Mailer)
    await module.aclose()


def test_init_of_a_closed_module_is_a_usage_error() -> None:
    module = Test.create_testing_module(imports=[MailModule]).compile(init=False)
    module.close()
    with pytest.raises(UsageError, match="closed"):
        module.init()
    assert EVENTS == ["built Mailer"]  # no hook ran


def _module(provider: type) -> type:
    @Module(providers=[provider])
    class FailingModule:
        pass

    return FailingModule


@pytest.mark.asyncio
@pytest.mark.parametrize("step", ["init", "ainit"])
async def test_an_app_that_cannot_be_built_at_init_is_a_nest_testing_error(step: str) -> None:
    # FastAPI refuses an OpenAPI app without a title: a plain AssertionError, named.
    builder = Test.create_testing_module(imports=[MailModule]).app_options(title="")
    failed = "Initialising the testing module failed: AssertionError"
    if step == "init":
        module = builder.compile(init=False)
        with pytest.raises(NestTestingError, match=failed) as info:
            module.init()
    else:
        module = await builder.compile_async(init=False)
        with pytest.raises(NestTestingError, match=failed) as info:
            await module.ainit()
    assert type(info.value.__cause__) is AssertionError
    await module.aclose()
