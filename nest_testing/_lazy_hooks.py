"""Lazy mode's possible hook receivers, per module, worked out without building anything.

PyNest asks every provider of every module for hooks, in five passes, and so builds
them all. A lazy testing module builds on first use, so at startup it asks only the
providers that define a hook (and builds those, with what they need), and at shutdown
only the singletons that were built. This module says which those are from the compiled
module alone; it must not resolve or build (the container does, in PyNest's passes).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from dataclasses import dataclass

from nest.common.provider import ProviderDescriptor, Scope
from nest.core.pynest_container import _LIFECYCLE_METHOD_NAMES as LIFECYCLE_METHOD_NAMES
from nest.core.pynest_container import ModuleRef

from nest_testing._blueprints import BLUEPRINTS


def _defines_hooks(descriptor: ProviderDescriptor) -> bool:
    """Whether the provider may receive lifecycle hooks. Values, factories and aliases
    are already built, so asking them costs nothing."""
    if descriptor.use_class is None:
        return True
    return class_defines_hooks(descriptor.use_class)


# Held weakly by the class, never written into it: as many entries as classes alive.
_HOOKS: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def class_defines_hooks(cls: type) -> bool:
    """Whether `cls` has a lifecycle hook method (asked in every lazy pass; a class's
    hooks don't change)."""
    try:
        return _HOOKS[cls]
    except KeyError:
        defines = _HOOKS[cls] = any(
            callable(getattr(cls, hook, None)) for hook in LIFECYCLE_METHOD_NAMES
        )
        return defines
    except TypeError:  # not weakly keyable: asked each time
        return any(callable(getattr(cls, hook, None)) for hook in LIFECYCLE_METHOD_NAMES)


@dataclass(frozen=True)
class LazyHooks:
    """One module's possible hook receivers in lazy mode, worked out once per container,
    or once per kept compiled module."""

    startup: tuple[ProviderDescriptor, ...]
    """Providers that define a hook (values, factories and aliases are built already)."""
    singletons: tuple[ProviderDescriptor, ...]
    """Singletons, in declaration order: at shutdown, those that were built."""
    classes: tuple[Hashable, ...]
    """Tokens of the singletons the injector builds from a class (built or not)."""
    prebuilt: bool
    """Whether a singleton is a value, a factory or an alias: always built."""
    module_hooks: bool
    """Whether the module class defines a hook (PyNest then instantiates it)."""

    @classmethod
    def of(cls, ref: ModuleRef, *, cached: bool) -> LazyHooks:
        """The module's receivers; with `cached`, kept with its kept compile."""
        if cached:
            return BLUEPRINTS.derived(ref.compiled, "lazy_hooks", lambda: cls._of(ref))
        return cls._of(ref)

    @classmethod
    def _of(cls, ref: ModuleRef) -> LazyHooks:
        descriptors = ref.compiled.provider_descriptors
        singletons = tuple(d for d in descriptors if d.scope == Scope.SINGLETON)
        return cls(
            startup=tuple(d for d in descriptors if _defines_hooks(d)),
            singletons=singletons,
            classes=tuple(d.provide for d in singletons if d.use_class is not None),
            prebuilt=any(d.use_class is None for d in singletons),
            module_hooks=class_defines_hooks(ref.metatype),
        )

    def built(self, built: set[Hashable]) -> list[ProviderDescriptor]:
        """The singletons built so far, given the tokens the injector built."""
        if not self.prebuilt and built.isdisjoint(self.classes):
            return []
        return [d for d in self.singletons if d.use_class is None or d.provide in built]
