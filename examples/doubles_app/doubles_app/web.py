"""HTTP: the users controller, its guard and its exception filter."""

import os
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from nest.common.exceptions import ExceptionFilter
from nest.core import Catch, Controller, Get, HttpCode, Post, UseFilters
from nest.core.decorators.guards import BaseGuard, UseGuards
from pydantic import BaseModel

from doubles_app.services import EmailTaken, SignupService, UserRepository


class AuthGuard(BaseGuard):
    """Admin routes: ``Authorization: Bearer <SIGNUP_ADMIN_TOKEN>``. No token configured,
    no access."""

    def can_activate(self, request: Request, credentials: Any = None) -> bool:
        token = os.environ.get("SIGNUP_ADMIN_TOKEN")
        return token is not None and request.headers.get("authorization") == f"Bearer {token}"


@Catch(EmailTaken)
class SignupErrorFilter(ExceptionFilter):
    """``EmailTaken`` -> 409 with a machine-readable body."""

    async def catch(self, exception: Exception, host: Any) -> JSONResponse:
        assert isinstance(exception, EmailTaken)
        return JSONResponse({"error": "email_taken", "email": exception.email}, status_code=409)


class SignupRequest(BaseModel):
    email: str


@Controller("users")
@UseFilters(SignupErrorFilter)
class UsersController:
    def __init__(self, signup: SignupService, users: UserRepository) -> None:
        self.signup = signup
        self.users = users

    @Post("/")
    @HttpCode(201)
    async def create(self, body: SignupRequest) -> dict[str, Any]:
        user, welcome_sent = await self.signup.sign_up(body.email)
        return {**user.to_json(), "welcome_sent": welcome_sent}

    @Get("/")
    @UseGuards(AuthGuard)
    def list_users(self) -> list[dict[str, Any]]:
        return [user.to_json() for user in self.users.all()]
