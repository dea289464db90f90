"""What ``use_mocker`` supplied is what ``get`` / ``resolve`` / the graph / the identity
assertion see (NestJS: ``useMocker(() => ({foo: stub}))`` then ``moduleRef.get(Foo)``)."""

from types import SimpleNamespace
from typing import Any
from unittest.mock import Mock

import pytest
from nest.common.provider import Scope
from nest.core import Injectable, InjectionToken, Module

from nest_testing import Test, UnknownTokenError


class FooService:
    def foo(self) -> str:
        return "real"


@Injectable
class BarService:
    def __init__(self, foo: FooService) -> None:
        self.foo = foo

    def bar(self) -> str:
        return f"bar {self.foo.foo()}"


@Injectable
class OtherBar:
    def __init__(self, foo: FooService) -> None:
        self.foo = foo


class NeverInjected:
    pass


def test_get_and_resolve_return_what_the_mocker_supplied() -> None:
    stub = Mock(return_value="stubbed")
    builder = Test.create_testing_module(providers=[BarService, OtherBar])
    with builder.use_mocker(lambda token: SimpleNamespace(foo=stub)).compile() as module:
        supplied = module.mocks[FooService]

        assert module.get(FooService) is supplied
        assert module.resolve(FooService) is supplied
        assert module.get(BarService).foo is supplied
        assert module.get(BarService).bar() == "bar stubbed"
        stub.assert_called_once_with()
        module.assert_singleton(FooService)  # both consumers hold the one object

        node = module.graph.node(FooService)
        assert (node.kind, node.status, node.module) == ("mocker", "mocked", None)
        assert node.scope is Scope.SINGLETON
        assert FooService in module.graph.dependencies(BarService)


def test_a_supplied_injection_token_is_looked_up_too() -> None:
    secret = InjectionToken("SECRET")

    @Injectable
    class NeedsSecret:
        def __init__(self, value: Any) -> None:
            self.value = value

    @Module(providers=[{"provide": "shout", "useFactory": str.upper, "inject": [secret]}])
    class SecretModule:
        pass

    def mocker(token: Any) -> Any:
        return "hush" if token == secret else None

    builder = Test.create_testing_module(imports=[SecretModule]).use_mocker(mocker)
    with builder.compile() as module:
        assert module.get(secret) == "hush"
        assert module.get("shout") == "HUSH"
        assert module.graph.node(secret).status == "mocked"


def test_a_token_the_mocker_was_never_asked_for_says_why() -> None:
    builder = Test.create_testing_module(providers=[BarService])
    with (
        builder.use_mocker(lambda token: SimpleNamespace(foo=Mock())).compile() as module,
        pytest.raises(UnknownTokenError) as raised,
    ):
        module.get(NeverInjected)
    message = str(raised.value)
    assert "use_mocker() was not asked for NeverInjected" in message
    assert "nothing injects NeverInjected" in message
    assert "built implicitly" not in message


def test_select_sees_what_the_mocker_supplied_from_every_module() -> None:
    # NestJS adds what useMocker returns to its internal global module, so every module's
    # `select(...).get(token)` finds it; a token no consumer asked for stays unknown.
    @Module(providers=[BarService], exports=[BarService])
    class BarModule:
        pass

    @Module(imports=[BarModule], providers=[OtherBar])
    class OtherModule:
        pass

    supplied = SimpleNamespace(foo=Mock(return_value="stubbed"))
    builder = Test.create_testing_module(imports=[OtherModule])
    with builder.use_mocker(lambda token: supplied).compile() as module:
        assert module.select(BarModule).get(FooService) is supplied
        assert module.select(OtherModule).resolve(FooService) is supplied
        with pytest.raises(UnknownTokenError, match="NeverInjected"):
            module.select(BarModule).get(NeverInjected)
