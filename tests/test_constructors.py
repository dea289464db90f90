"""Constructor plans build every kind of constructor exactly as the injector does.

With the blueprint cache on (the default), classes are built from constructor plans;
with it off, by the injector's ``ClassProvider``. Both must give what
``PyNestFactory.create`` gives. No ``from __future__ import annotations`` here: the
injector reads constructor annotations as real classes.
"""

import logging
from typing import Any

import pytest
from injector import Inject, NoInject, SingletonScope
from nest.common.provider import Scope
from nest.core import Injectable, Module, PyNestFactory

from nest_testing import ProviderConstructionError, Test


@Injectable
class Clock:
    def __init__(self) -> None:
        self.now = 42


class Untyped:
    """No annotations, so PyNest leaves it to the injector as it is: defaults apply."""

    def __init__(self, level=3):  # type: ignore[no-untyped-def]
        self.level = level


@Injectable
class WithDefault:
    def __init__(self, clock: Clock, retries: int = 5) -> None:
        self.clock = clock
        self.retries = retries


@Injectable
class WithNoInject:
    def __init__(self, clock: Clock, name: NoInject[str] = "plain") -> None:
        self.clock = clock
        self.name = name


class ExplicitOnly:
    """No ``@inject``: only the parameter marked ``Inject`` is provided."""

    def __init__(self, clock: Inject[Clock], label: str = "label") -> None:
        self.clock = clock
        self.label = label


@Injectable
class Base:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


@Injectable
class Inherits(Base):
    """No ``__init__`` of its own: the base's injected one."""


class Allocated:
    """A ``__new__`` of its own runs before ``__init__``, as with the injector."""

    def __new__(cls) -> "Allocated":
        instance = super().__new__(cls)
        instance.allocated = True
        return instance

    def __init__(self) -> None:
        self.initialised = getattr(self, "allocated", False)


@Injectable
class Consumer:
    def __init__(
        self,
        untyped: Untyped,
        default: WithDefault,
        no_inject: WithNoInject,
        explicit: ExplicitOnly,
        inherits: Inherits,
        allocated: Allocated,
    ) -> None:
        self.parts = (untyped, default, no_inject, explicit, inherits, allocated)


@Module(
    providers=[
        Clock,
        Untyped,
        WithDefault,
        WithNoInject,
        ExplicitOnly,
        Inherits,
        Allocated,
        Consumer,
    ],
    exports=[Consumer],
)
class ConstructorsModule:
    pass


def shape(value: Any, depth: int = 0) -> Any:
    """Types and plain values, recursively: comparable across two builds."""
    if depth > 4 or isinstance(value, (int, str, bool, float, type(None))):
        return value
    if isinstance(value, tuple):
        return tuple(shape(v, depth + 1) for v in value)
    return (type(value).__name__, {k: shape(v, depth + 1) for k, v in vars(value).items()})


@pytest.mark.parametrize("planned", [True, False], ids=["constructor-plans", "injector"])
def test_every_kind_of_constructor_is_built_as_pynest_builds_it(planned: bool) -> None:
    expected = shape(PyNestFactory.create(ConstructorsModule).container.get(Consumer))
    builder = Test.create_testing_module(imports=[ConstructorsModule])
    with builder.use_blueprint_cache(planned).compile() as module:
        consumer = module.get(Consumer)
        assert shape(consumer) == expected
        # each part holds the module's one Clock, as every other consumer does
        clock = module.get(Clock)
        assert all(part.clock is clock for part in consumer.parts[1:5])
        module.assert_singleton(Clock)
    assert consumer.parts[0].level == 3
    assert consumer.parts[5].initialised is True


class _Initialiser:
    """A callable object as ``__init__``: unhashable, so no plan can be kept for it."""

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, instance: Any) -> None:
        instance.ready = True


class OddInit:
    __init__ = _Initialiser()  # type: ignore[assignment]


@Module(providers=[OddInit])
class OddModule:
    pass


@pytest.mark.parametrize("planned", [True, False], ids=["constructor-plans", "injector"])
def test_a_class_no_plan_can_be_kept_for_fails_as_the_injector_fails(planned: bool) -> None:
    # The injector cannot build it either; what matters is the same failure on both paths.
    with pytest.raises(AttributeError, match="__func__") as theirs:
        PyNestFactory.create(OddModule)
    builder = Test.create_testing_module(imports=[OddModule]).use_blueprint_cache(planned)
    with pytest.raises(ProviderConstructionError) as ours:
        builder.compile()
    assert type(ours.value.__cause__) is type(theirs.value)
    assert ours.value.path == ("OddModule", "OddInit")


@Injectable
class Traced:
    pass


@Module(providers=[Traced])
class TracedModule:
    pass


@pytest.mark.parametrize("planned", [True, False], ids=["constructor-plans", "injector"])
def test_the_injectors_debug_log_names_the_provider_each_counting_provider_wraps(
    caplog: pytest.LogCaptureFixture, planned: bool
) -> None:
    # logging.getLogger("injector").setLevel(DEBUG) is how one watches injection happen:
    # the line names what builds each class, not "<_CountingProvider object at 0x...>".
    # (Lazy: an eager compile with the cache on reads built singletons without the
    # injector's lookups, and so without its debug lines; a lazy module's are its own.)
    builder = Test.create_testing_module(imports=[TracedModule]).use_blueprint_cache(planned)
    with caplog.at_level(logging.DEBUG, logger="injector"), builder.lazy().compile() as module:
        module.get(Traced)
    # With the cache off the injector's own ClassProvider builds it (no repr of its own).
    inner = f"PlannedClassProvider({Traced!r})" if planned else "<injector.ClassProvider object"
    assert (
        f"{Traced!r}, scope=<class 'injector.SingletonScope'>) using _CountingProvider({inner}"
        in caplog.text
    )


# A graph for the records below: a diamond, a transient, a factory, an alias, a spy.
@Injectable
class Left:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


@Injectable
class Right:
    def __init__(self, clock: Clock, left: Left) -> None:
        self.parts = (clock, left)


@Injectable
class Top:
    def __init__(self, right: Right, left: Left, clock: Clock) -> None:
        self.parts = (right, left, clock)


@Injectable
class Fresh:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


@Injectable
class UsesFresh:
    def __init__(self, fresh: Fresh, top: Top) -> None:
        self.parts = (fresh, top)


@Module(
    providers=[
        Top,
        {"provide": "Alias", "useExisting": Top},
        {"provide": "Made", "useFactory": lambda top: ("made", top), "inject": [Top]},
        UsesFresh,
        Right,
        Left,
        Clock,
        {"provide": Fresh, "useClass": Fresh, "scope": Scope.TRANSIENT},
    ],
    exports=[Top, UsesFresh],
)
class DiamondModule:
    pass


def _records(planned: bool, spied: bool) -> tuple[list[Any], list[Any]]:
    """The module's ledger, as comparable values: constructions in order, and who
    received which object (named by the construction that made it)."""
    builder = Test.create_testing_module(imports=[DiamondModule]).use_blueprint_cache(planned)
    if spied:
        builder.spy_provider(Left)
    with builder.compile() as module:
        module.get(Top), module.get("Alias"), module.resolve(Fresh), module.get(UsesFresh)
        ledger = module._ledger
        constructions = ledger.constructions_since(0)
        made = {id(module.get(c.token)): c.serial for c in constructions if c.token is not Fresh}
        injections = [
            (i.consumer.serial, i.token, made.get(id(i.obj), type(i.obj).__name__))
            for i in ledger.injections()
        ]
    return [(c.token, c.serial, c.phase, c.via) for c in constructions], injections


@pytest.mark.parametrize("spied", [False, True], ids=["plain", "spied"])
def test_both_paths_record_the_same_constructions_and_injections(spied: bool) -> None:
    # The cached path reads built singletons from the injector's singleton scope
    # itself; what it records must be what the injector's own lookups record.
    assert _records(True, spied) == _records(False, spied)


def _bindings(planned: bool) -> dict[Any, tuple[Any, ...]]:
    builder = Test.create_testing_module(imports=[DiamondModule]).use_blueprint_cache(planned)
    with builder.compile(init=False) as module:
        bindings = module._container.injector.binder._bindings
        return {
            token: (
                type(binding).__name__,
                binding.scope,
                type(binding.provider).__name__,
                getattr(getattr(binding.provider, "_inner", None), "_cls", None),
            )
            for token, binding in bindings.items()
            if isinstance(token, str) or token.__module__ == __name__
        }


def test_both_paths_bind_every_provider_alike() -> None:
    # With the cache on, a class provider's binding is made without Binder.bind's generic
    # checks: the same binding, scope and class as the injector's own.
    assert _bindings(True) == _bindings(False)
    assert _bindings(True)[Top][1:] == (SingletonScope, "_CountingProvider", Top)
