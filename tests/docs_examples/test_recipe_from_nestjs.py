"""docs/recipes/from-nestjs.md: a NestJS e2e test, line for line."""

from doubles_app import DB, AppModule, AuthGuard, Database, EmailService, UsersModule
from doubles_app.database import Session
from fastapi import Request
from nest.core.decorators.guards import BaseGuard

from nest_testing import Test


class AllowAll(BaseGuard):
    def can_activate(self, request: Request, credentials: object = None) -> bool:
        return True


def test_users_e2e() -> None:
    module = (
        Test.create_testing_module(imports=[AppModule])
        .override_provider(DB)
        .use_value(Database("memory://"))
        .override_guard(AuthGuard)
        .use_class(AllowAll)
        .mock_provider(EmailService)
        .compile()
    )
    try:
        assert module.client.post("/users", json={"email": "ann@example.com"}).status_code == 201
        assert module.client.get("/users").json()[0]["email"] == "ann@example.com"
        module.mocks[EmailService].send_welcome.assert_awaited_once_with("ann@example.com")
        assert module.select(UsersModule).get(Session).db is module.get(DB)
    finally:
        module.close()
