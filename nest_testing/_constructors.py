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
injector's `ClassProvider`. A provider also remembers the plan of the `__init__` it
last built with, and holds nothing of one injector, so the bindings of a kept module
(`nest_testing._binding.bind_modules`) serve every compile of it.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

from injector import Provider, get_bindings

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
    """Builds `cls` as the injector's `ClassProvider` does, from a constructor plan.

    With `own_arguments`, the arguments come from the `arguments` method of the
    injector it builds for (`TestingInjector.arguments`), so the provider holds nothing
    of one injector and one binding can serve every compile of a kept module."""

    def __init__(self, cls: type, *, own_arguments: bool = False) -> None:
        self._cls: Any = cls  # Any: mypy cannot type __new__/__init__ of an arbitrary class
        self._own_arguments = own_arguments
        # The __init__ last seen and its plan (the class's own data, which it holds
        # anyway), read without the weak dictionary's lookup, which makes a weak
        # reference per call; one tuple, so threads sharing the provider see a pair.
        self._planned: tuple[Any, dict[str, Any]] = (None, {})

    def get(self, injector: Any) -> Any:
        cls = self._cls
        init = cls.__init__
        planned_init, bindings = self._planned
        if planned_init is not init:
            try:
                bindings = needed(cls, init)
            except TypeError:  # a class that cannot be weakly keyed, say: the injector's way
                return injector.create_object(cls)
            self._planned = (init, bindings)
        instance = cls.__new__(cls)
        if not bindings:
            arguments = {}
        elif self._own_arguments:
            arguments = injector.arguments(cls, init, bindings)
        else:
            arguments = injector.args_to_inject(function=init, bindings=bindings, owner_key=cls)
        init(instance, **arguments)
        return instance

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._cls!r})"
