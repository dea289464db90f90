"""spy_provider: the real provider, built once, with every method call recorded."""

from doubles_app import AppModule, EmailService, SignupService, UserRepository, UsersController

from nest_testing import Test


def test_the_spy_keeps_real_behaviour_and_records_calls() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).spy_provider(UserRepository)
    with builder.compile() as module:
        client = module.client
        assert client.post("/users", json={"email": "ann@example.com"}).status_code == 201
        # The real repository stored her, so the second signup is refused.
        assert client.post("/users", json={"email": "ann@example.com"}).status_code == 409

        users = module.spies[UserRepository]
        users.find_by_email.assert_called_with("ann@example.com")
        assert users.find_by_email.call_count == 2
        assert users.add.call_count == 1
        assert [user.email for user in users.all()] == ["ann@example.com"]


def test_the_spy_is_built_once_and_every_consumer_holds_it() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).spy_provider(UserRepository)
    with builder.compile() as module:
        for n in range(3):
            module.client.post("/users", json={"email": f"user{n}@example.com"})

        users = module.spies[UserRepository]
        assert module.get(UserRepository) is users
        assert module.get(SignupService).users is users
        assert module.get(UsersController).users is users
        assert isinstance(users, UserRepository)
        module.assert_constructed(UserRepository, times=1)  # the real one, once
        module.assert_singleton(UserRepository)
        assert module.graph.node(UserRepository).status == "spied"


def test_spying_on_an_async_provider() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).spy_provider(EmailService)
    with builder.compile() as module:
        module.client.post("/users", json={"email": "bob@example.com"})

        email = module.spies[EmailService]
        email.send_welcome.assert_awaited_once_with("bob@example.com")
        assert email.outbox == [("bob@example.com", "Welcome aboard!")]  # the real outbox


def test_what_the_spy_returns_is_what_the_real_method_returned() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).spy_provider(UserRepository)
    with builder.compile() as module:
        module.client.post("/users", json={"email": "ann@example.com"})

        users = module.spies[UserRepository]
        assert users.find_by_email("ann@example.com").id == 1
        assert users.find_by_email("nobody@example.com") is None
        assert users.find_by_email.call_count == 3  # the signup's call and our two
