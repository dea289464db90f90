"""The real AuthGuard, with a real token: no override, the guard's own code decides."""

from collections.abc import Iterator

import pytest
from doubles_app import AppModule

from nest_testing import Test, TestingModule

ADMIN_TOKEN = "test-admin-token"


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestingModule]:
    # AuthGuard reads SIGNUP_ADMIN_TOKEN on every request; monkeypatch undoes it after.
    monkeypatch.setenv("SIGNUP_ADMIN_TOKEN", ADMIN_TOKEN)
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        yield module


def test_the_admin_token_lists_users(module: TestingModule) -> None:
    module.client.post("/users", json={"email": "ann@example.com"})
    response = module.client.get("/users", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200
    assert [user["email"] for user in response.json()] == ["ann@example.com"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer wrong-token"},
        {"authorization": ADMIN_TOKEN},  # no "Bearer " scheme
    ],
    ids=["no header", "wrong token", "no scheme"],
)
def test_anything_else_is_forbidden(module: TestingModule, headers: dict[str, str]) -> None:
    response = module.client.get("/users", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "Access denied: insufficient permissions"}
