"""The signup logic and what it depends on: users, email and the time."""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from nest.core import Injectable

from doubles_app.database import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class User:
    id: int
    email: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


class EmailTaken(Exception):
    """Someone already signed up with this address."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already registered")
        self.email = email


@Injectable
class Clock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@Injectable
class EmailService:
    """Sends mail. In production this talks to an SMTP relay; here it keeps an outbox."""

    def __init__(self) -> None:
        self.outbox: list[tuple[str, str]] = []

    async def send_welcome(self, to: str) -> str:
        """Queue the welcome mail; return its message id."""
        self.outbox.append((to, "Welcome aboard!"))
        return f"msg-{len(self.outbox)}"


@Injectable
class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, email: str, created_at: datetime) -> User:
        user = User(len(self.session.query("users")) + 1, email, created_at)
        self.session.add("users", {"id": user.id, "email": email, "created_at": created_at})
        return user

    def find_by_email(self, email: str) -> User | None:
        rows = self.session.query("users", email=email)
        return User(**rows[0]) if rows else None

    def all(self) -> list[User]:
        return [User(**row) for row in self.session.query("users")]


@Injectable
class SignupService:
    def __init__(self, users: UserRepository, email: EmailService, clock: Clock) -> None:
        self.users = users
        self.email = email
        self.clock = clock

    async def sign_up(self, email: str) -> tuple[User, bool]:
        """Register ``email`` and send the welcome mail. Returns the user and whether the
        mail went out: a mail failure does not undo the signup."""
        if self.users.find_by_email(email) is not None:
            raise EmailTaken(email)
        user = self.users.add(email, self.clock.now())
        try:
            await self.email.send_welcome(email)
        except ConnectionError:
            log.warning("welcome mail to %s not sent", email)
            return user, False
        return user, True
