import asyncio

from nest.core import Injectable


@Injectable
class UserService:
    def __init__(self) -> None:
        self.users = {"1": "alice", "2": "bob"}

    def get_users(self) -> list[str]:
        return list(self.users.values())

    def get_user(self, user_id: str) -> str | None:
        return self.users.get(user_id)

    async def rename(self, user_id: str, name: str) -> str:
        await asyncio.sleep(0)  # a real app would await its database here
        self.users[user_id] = name
        return name
