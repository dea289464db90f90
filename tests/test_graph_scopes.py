"""``module.graph.node(token).scope``: the scope PyNest actually gives each provider."""

import pytest
from nest.common.provider import Scope
from nest.core import Controller, Get, Injectable, InjectionToken, Module

from nest_testing import ScopeError, Test

URL = InjectionToken("URL")


@Injectable(scope=Scope.TRANSIENT)
class DeclaredTransient:
    """Listed bare in providers: PyNest binds it as a singleton all the same."""


@Injectable(scope=Scope.TRANSIENT)
class RegisteredTransient:
    pass


@Injectable
class PerRequest:
    pass


class Implicit:
    pass


@Injectable
class NeedsImplicit:
    def __init__(self, dep: Implicit) -> None:
        self.dep = dep


@Controller("scopes")
class ScopesController:
    @Get("/")
    def list(self) -> list[str]:
        return []


@Module(
    providers=[
        DeclaredTransient,
        {
            "provide": RegisteredTransient,
            "useClass": RegisteredTransient,
            "scope": Scope.TRANSIENT,
        },
        {"provide": PerRequest, "useClass": PerRequest, "scope": Scope.REQUEST},
        {"provide": URL, "useFactory": lambda: "sqlite://", "scope": Scope.TRANSIENT},
        NeedsImplicit,
    ],
    controllers=[ScopesController],
)
class ScopesModule:
    pass


def test_each_node_carries_the_scope_pynest_applies() -> None:
    with Test.create_testing_module(imports=[ScopesModule]).compile() as module:
        graph = module.graph
        scopes = {
            token: graph.node(token).scope
            for token in (
                DeclaredTransient,
                RegisteredTransient,
                PerRequest,
                URL,
                NeedsImplicit,
                Implicit,
                ScopesController,
            )
        }
        assert scopes == {
            DeclaredTransient: Scope.SINGLETON,  # @Injectable(scope=...) is not read by PyNest
            RegisteredTransient: Scope.TRANSIENT,
            PerRequest: Scope.REQUEST,
            URL: Scope.SINGLETON,  # a factory's value is bound once
            NeedsImplicit: Scope.SINGLETON,
            Implicit: Scope.TRANSIENT,  # built anew for every consumer
            ScopesController: Scope.SINGLETON,
        }
        # ... and what the container does agrees with it.
        assert module.get(DeclaredTransient) is module.get(DeclaredTransient)
        assert module.resolve(RegisteredTransient) is not module.resolve(RegisteredTransient)
        assert module.resolve(PerRequest) is not module.resolve(PerRequest)


def test_doubles_are_singletons_and_use_class_keeps_the_scope() -> None:
    class FakeTransient:
        pass

    builder = (
        Test.create_testing_module(imports=[ScopesModule])
        .mock_provider(PerRequest)
        .override_provider(RegisteredTransient, FakeTransient)
    )
    with builder.compile() as module:
        assert module.graph.node(PerRequest).scope is Scope.SINGLETON
        assert module.graph.node(RegisteredTransient).scope is Scope.TRANSIENT


class Stamp:
    pass


@pytest.mark.parametrize("scope", ["transient", "request"])
def test_a_scope_written_as_a_string_is_the_scope_pynest_applies(scope: str) -> None:
    # PyNest takes {"scope": "transient"} as well as Scope.TRANSIENT (Scope is a str enum).
    @Module(providers=[{"provide": Stamp, "useClass": Stamp, "scope": scope}])
    class StringScopeModule:
        pass

    with Test.create_testing_module(imports=[StringScopeModule]).compile() as module:
        assert module.resolve(Stamp) is not module.resolve(Stamp)
        with pytest.raises(ScopeError, match=rf"registered with scope {scope.upper()}: "):
            module.get(Stamp)
        with pytest.raises(AssertionError, match=rf"registered with scope {scope.upper()} "):
            module.assert_singleton(Stamp)
