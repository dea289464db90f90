"""docs/recipes/from-fastapi.md: from `app.dependency_overrides` to a testing module."""

from unittest.mock import Mock

from fastapi import Depends, Header
from nest.core import Controller, Get, Module, PyNestApp
from seed_depends_app import AppModule, ItemService, Logger

from nest_testing import Test


def test_one_override_reaches_constructors_and_depends() -> None:
    fake_logger = Mock(spec=["log"])
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_provider(Logger, fake_logger)  # replaces app.dependency_overrides[...]
    with builder.compile() as module:
        # GET /items/audit takes `logger: Logger = Depends(Logger)`: FastAPI's injection
        # gets the override too, the very object the container injected.
        assert module.client.get("/items/audit").json()["shared_logger"] is True
        assert module.get(ItemService).logger is fake_logger
        fake_logger.log.info.assert_called_once_with("audit: %d items", 3)


def current_user(authorization: str = Header()) -> str:
    """A plain FastAPI dependency: a function, not a provider."""
    return authorization.removeprefix("User ")


@Controller("me")
class MeController:
    @Get("/")
    def me(self, user: str = Depends(current_user)) -> dict[str, str]:
        return {"user": user}


@Module(controllers=[MeController])
class MeModule:
    pass


def test_a_function_dependency_is_overridden_the_fastapi_way() -> None:
    def as_ann(app: PyNestApp) -> None:
        app.get_server().dependency_overrides[current_user] = lambda: "ann"

    builder = Test.create_testing_module(imports=[MeModule]).configure_app(as_ann)
    with builder.compile() as module:
        assert module.client.get("/me").json() == {"user": "ann"}

    # Nothing to clear: the override lived in that module's own FastAPI app.
    with Test.create_testing_module(imports=[MeModule]).compile() as module:
        assert module.client.get("/me", headers={"authorization": "User bob"}).json() == {
            "user": "bob"
        }
        assert module.client.get("/me").status_code == 422  # no header, no user
