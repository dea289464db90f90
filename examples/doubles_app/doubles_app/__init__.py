"""A signup service, tested with every kind of test double nest-testing offers.

``AppModule -> UsersModule -> DatabaseModule``. ``UsersController`` (``/users``) signs
people up through ``SignupService``, which stores them with ``UserRepository`` (on the
``Session`` that ``DatabaseModule`` exports), stamps them with ``Clock`` and sends a
welcome mail with the async ``EmailService``. Listing users is guarded by ``AuthGuard``;
``SignupErrorFilter`` turns ``EmailTaken`` into a 409.
"""

from doubles_app.app_module import AppModule, UsersModule, create_app
from doubles_app.database import DB, Database, DatabaseModule, DatabaseSettings, Session
from doubles_app.services import (
    Clock,
    EmailService,
    EmailTaken,
    SignupService,
    User,
    UserRepository,
)
from doubles_app.web import AuthGuard, SignupErrorFilter, UsersController

__all__ = [
    "DB",
    "AppModule",
    "AuthGuard",
    "Clock",
    "Database",
    "DatabaseModule",
    "DatabaseSettings",
    "EmailService",
    "EmailTaken",
    "Session",
    "SignupErrorFilter",
    "SignupService",
    "User",
    "UserRepository",
    "UsersController",
    "UsersModule",
    "create_app",
]
