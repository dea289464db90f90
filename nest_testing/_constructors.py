"""Constructor plans: how the injector calls a class's `__init__`, worked out once.

The injector's `ClassProvider` builds each object with `Injector.create_object`:
`cls.__new__(cls)`, then `call_with_injection(cls.__init__, self_=instance)`, which
for every object it builds asks `get_bindings` (type hints, for classes without
`@inject`) and `inspect.signature(...).bind_partial` which parameters the instance
fills and which the injector must provide. For a given class the answer never changes;
profiling a 100 x 20 app put it at a third of building the providers.

`PlannedClassProvider` keeps that answer per class (a *plan*, held weakly by the class:
it goes when the class goes, however many classes an app has) and
builds as `create_object` does with it: `__new__`, the injector's own
`args_to_inject` (its cycle detection, its lock, its errors), then `__init__`. It is
used when the blueprint cache is on; with the cache off, every object is built by the
injector's `ClassProvider`.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

from injector import Injector, Provider, get_bindings

Arguments = Callable[[type, Any, dict[str, Any]], dict[str, Any]]
"""`(cls, init, bindings) -> arguments`: what `Injector.args_to_inject` returns."""

# class -> (its __init__, weakly when it can be: a `super()` cell refers to the class,
# which would then never go; the plan). Never written into the class itself.
_PLANS: weakref.WeakKeyDictionary[type, tuple[Any, dict[str, Any]]] = weakref.WeakKeyDictionary()


def needed(cls: type, init: Any) -> dict[str, Any]:
    """What `call_with_injection(init, self_=instance)` injects, planned once per class
    (again if its `__init__` is replaced)."""
    kept = _PLANS.get(cls)
    if kept is not None:
        held, plan = kept
        if (held() if isinstance(held, weakref.ref) else held) is init:
            return plan
    plan = _planned(init)
    try:
        held = weakref.ref(init)
    except TypeError:  # a builtin __init__ holds no class
        held = init
    _PLANS[cls] = (held, plan)
    return plan


def _planned(init: Any) -> dict[str, Any]:
    """The bindings of `init` less the parameter the instance is bound to."""
    bindings = get_bindings(init)
    if not bindings:
        return {}
    bound = inspect.signature(init).bind_partial(object()).arguments
    return {name: key for name, key in bindings.items() if name not in bound}


class PlannedClassProvider(Provider[Any]):
    """Builds `cls` as the injector's `ClassProvider` does, from a constructor plan."""

    def __init__(self, cls: type, arguments: Arguments | None = None) -> None:
        self._cls: Any = cls  # Any: mypy cannot type __new__/__init__ of an arbitrary class
        self._arguments = arguments

    def get(self, injector: Injector) -> Any:
        cls = self._cls
        init = cls.__init__
        try:
            bindings = needed(cls, init)
        except TypeError:  # a class that cannot be weakly keyed, say: the injector's own way
            return injector.create_object(cls)
        instance = cls.__new__(cls)
        if not bindings:
            arguments = {}
        elif self._arguments is not None:
            arguments = self._arguments(cls, init, bindings)
        else:
            arguments = injector.args_to_inject(function=init, bindings=bindings, owner_key=cls)
        init(instance, **arguments)
        return instance

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._cls!r})"
