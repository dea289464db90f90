"""Deep dependency chains in lazy mode, built from the bottom up instead of recursively.

An eager build makes PyNest's providers in declaration order, so each construction goes
one step down before it meets a built singleton. A lazy `get()` of a provider at the top
of a long chain builds the whole chain at once, recursively through the injector (about
a dozen Python frames per level): past about 80 levels that is Python's recursion limit.
This module finds, without building anything, the not yet built singletons below a
token; when the chain is deeper than `DEPTH`, it has them built deepest first, one
injector `get()` each (on behalf of the chain above it, so an error names the same path
a recursive build would), and the build that follows meets built singletons at every
step. Shallow chains are left to the injector as they are. It must not build anything
the injector would not: the order is the one a recursive build completes them in, so
the first failure is the same one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from injector import Injector, SingletonScope

from nest_testing._constructors import needed

DEPTH = 40  # levels a recursive build takes well within Python's recursion limit


def _singleton_dependencies(injector: Injector, token: Any) -> list[Any] | None:
    """The constructor dependencies of `token`, when it is a singleton built from a class
    (`None` otherwise: it is left to the injector)."""
    try:
        binding, _ = injector.binder.get_binding(token)
        if binding.scope is not SingletonScope:
            return None
        cls = getattr(getattr(binding.provider, "_inner", None), "_cls", None)
        if cls is None:
            return None
        return list(needed(cls, cls.__init__).values())
    except Exception:  # unbound, strict, unhashable, ...: the ordinary get() says why
        return None


def bottom_up(
    injector: Injector, token: Any, built: set[Hashable]
) -> list[tuple[Any, tuple[Any, ...]]]:
    """The unbuilt singletons below `token`, deepest first, each with the chain above it
    (`token` first), when the chain is deeper than `DEPTH`; an empty list otherwise."""
    top = _singleton_dependencies(injector, token)
    if not top:
        return []
    order: list[tuple[Any, tuple[Any, ...]]] = []
    seen: set[Any] = {token}
    stack: list[tuple[Any, Iterator[Any]]] = [(token, iter(top))]
    deepest = 1
    while stack:
        for dependency in stack[-1][1]:
            if dependency in seen or dependency in built:
                continue
            seen.add(dependency)
            below = _singleton_dependencies(injector, dependency)
            if below is None:
                continue
            stack.append((dependency, iter(below)))
            deepest = max(deepest, len(stack))
            break
        else:
            done = stack.pop()[0]
            order.append((done, tuple(above for above, _ in stack)))
    return order[:-1] if deepest > DEPTH else []
