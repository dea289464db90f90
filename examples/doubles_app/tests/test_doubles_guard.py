"""override_guard: GET /users is guarded by AuthGuard; tests swap the guard, not the app."""

from collections.abc import Callable
from typing import Any

import pytest
from doubles_app import AppModule, AuthGuard
from fastapi import Request
from nest.core.decorators.guards import BaseGuard

from nest_testing import Test, TestingModuleBuilder, UnknownOverrideError


class AllowAll(BaseGuard):
    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        return True


class RecordingGuard(BaseGuard):
    """Lets every request through and remembers the paths it guarded."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        self.paths.append(request.url.path)
        return True


@pytest.fixture(autouse=True)
def no_admin_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNUP_ADMIN_TOKEN", raising=False)


def test_listing_users_is_forbidden_by_default() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        response = module.client.get("/users")

        assert response.status_code == 403
        assert response.json() == {"detail": "Access denied: insufficient permissions"}
        # Signing up is not guarded.
        assert module.client.post("/users", json={"email": "bob@example.com"}).status_code == 201


def test_the_real_guard_lets_the_admin_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNUP_ADMIN_TOKEN", "s3cret")
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        response = module.client.get("/users", headers={"Authorization": "Bearer s3cret"})

        assert response.status_code == 200


def test_override_guard_with_a_class() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).override_guard(AuthGuard, AllowAll)
    with builder.compile() as module:
        module.client.post("/users", json={"email": "bob@example.com"})
        response = module.client.get("/users")

        assert response.status_code == 200
        assert [user["email"] for user in response.json()] == ["bob@example.com"]


def test_override_guard_with_an_instance() -> None:
    guard = RecordingGuard()
    builder = Test.create_testing_module(imports=[AppModule]).override_guard(AuthGuard, guard)
    with builder.compile() as module:
        assert module.client.get("/users").status_code == 200
        assert module.client.post("/users", json={"email": "bob@example.com"}).status_code == 201

    assert guard.paths == ["/users"]  # the one guarded request: GET /users


@pytest.mark.parametrize(
    "override",
    [
        lambda builder: builder.override_guard(AuthGuard).use_class(AllowAll),
        lambda builder: builder.override_guard(AuthGuard).use_value(AllowAll()),
    ],
    ids=["use_class", "use_value"],
)
def test_the_two_step_forms(override: Callable[[TestingModuleBuilder], object]) -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    override(builder)
    with builder.compile() as module:
        assert module.client.get("/users").status_code == 200


def test_the_override_stays_in_its_testing_module() -> None:
    overridden = Test.create_testing_module(imports=[AppModule])
    overridden.override_guard(AuthGuard, AllowAll)
    plain = Test.create_testing_module(imports=[AppModule])
    with overridden.compile() as open_door, plain.compile() as closed_door:
        assert open_door.client.get("/users").status_code == 200
        assert closed_door.client.get("/users").status_code == 403
    assert AuthGuard.can_activate is not AllowAll.can_activate  # no class was patched


def test_overriding_a_guard_no_route_uses() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).override_guard(AllowAll, AllowAll)

    with pytest.raises(UnknownOverrideError) as info:
        builder.compile()

    assert str(info.value) == (
        "override_guard(AllowAll): no route of this testing module uses it. "
        "Guards in use: AuthGuard."
    )
