"""builder.override_dependency(): FastAPI Depends overrides, in one testing module only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from deployed_apps import DeployedModule, Events, Marker, deployed_app, get_token, settings
from fastapi import Depends, Request
from nest.core import Controller, Get, Module
from nest.core.decorators.guards import BaseGuard, UseGuards

from nest_testing import Test, UnknownOverrideError, UsageError


def compiled(**overrides: Any) -> Any:
    builder = Test.create_testing_module(imports=[DeployedModule])
    for dependency, replacement in overrides.values():
        builder.override_dependency(dependency, replacement)
    return builder.compile()


def test_a_function_dependency_is_replaced_in_this_module_only() -> None:
    with compiled(token=(get_token, lambda: "fake-token")) as module, compiled() as other:
        assert module.client.get("/greet").json()["token"] == "fake-token"
        assert other.client.get("/greet").json()["token"] == "real-token"


def test_a_bound_method_of_a_module_level_object_is_replaced() -> None:
    # Each `settings.get_session` is a new bound-method object; FastAPI finds it all the same.
    with compiled(session=(settings.get_session, lambda: {"url": "sqlite:///test.db"})) as m:
        assert m.client.get("/greet/session").json() == {"url": "sqlite:///test.db"}


def test_a_generator_replacement_is_entered_and_closed_per_request() -> None:
    closed: list[str] = []

    def fake_session() -> Iterator[dict[str, str]]:
        yield {"url": "generator"}
        closed.append("closed")

    with compiled(session=(settings.get_session, fake_session)) as module:
        assert module.client.get("/greet/session").json() == {"url": "generator"}
        assert module.client.get("/greet/session").json() == {"url": "generator"}
    assert closed == ["closed", "closed"]


def test_a_replacement_class_is_counted_like_any_depends_class() -> None:
    class FakeMarker:
        def __init__(self) -> None:
            self.kind = "fake"

    with compiled(marker=(Marker, FakeMarker)) as module:
        with module.expect_constructions({FakeMarker: 3}):
            for _ in range(3):
                assert module.client.get("/greet/marker").json() == {"kind": "fake"}
        assert module.constructions[FakeMarker] == 3
        assert module.constructions.by_phase["request"][FakeMarker] == 3


def test_a_dependency_no_route_uses_is_unknown_with_the_used_ones_and_a_did_you_mean() -> None:
    def get_tokens() -> str:  # pragma: no cover - never called
        return ""

    builder = Test.create_testing_module(imports=[DeployedModule])
    builder.override_dependency(get_tokens, lambda: "x")
    with pytest.raises(UnknownOverrideError) as caught:
        builder.compile()
    message = str(caught.value)
    assert "no route of this testing module uses Depends(" in message
    assert "Did you mean: get_token?" in message
    assert "Dependencies the routes use: get_token, Marker, Settings.get_session." in message


@pytest.mark.parametrize(("dependency", "replacement"), [("get_db", get_token), (get_token, 42)])
def test_a_dependency_or_replacement_that_is_not_callable_is_a_usage_error(
    dependency: Any, replacement: Any
) -> None:
    builder = Test.create_testing_module(imports=[DeployedModule])
    with pytest.raises(UsageError, match="expects"):
        builder.override_dependency(dependency, replacement)


def test_a_route_added_on_the_deployed_http_server_can_be_overridden_too() -> None:
    app = deployed_app(Events())

    def health() -> dict[str, str]:  # pragma: no cover - stands for a dependency
        return {}

    server = app.http_server

    @server.get("/whoami")
    def whoami(token: str = __import__("fastapi").Depends(get_token)) -> dict[str, str]:
        return {"token": token}

    with Test.from_app(app).override_dependency(get_token, lambda: "fake").compile() as module:
        assert module.client.get("/whoami").json() == {"token": "fake"}
        assert module.client.get("/greet").json()["token"] == "fake"


class OpenGuard(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return True


def current_user() -> str:
    return "ada"


@Controller("guarded")
class GuardedController:
    @Get("/")
    @UseGuards(OpenGuard)
    def read(self, user: str = Depends(current_user)) -> dict[str, str]:
        return {"user": user}


@Module(controllers=[GuardedController])
class GuardedModule:
    pass


def test_the_dependencies_listed_leave_out_pynests_guard_functions() -> None:
    builder = Test.create_testing_module(imports=[GuardedModule])
    builder.override_dependency(get_token, lambda: "x")
    with pytest.raises(UnknownOverrideError) as caught:
        builder.compile()
    assert str(caught.value).endswith("\nDependencies the routes use: current_user.")
