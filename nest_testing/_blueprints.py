"""Blueprints: what a compile learns that does not depend on instances, kept for reuse.

Compiling the same configuration again (same modules with the same providers, imports,
exports and controllers, same kinds of overrides) reuses

- PyNest's compile of each module class (`ModuleCompiler.compile`: its provider
  descriptors), for as long as the class's `providers`, `controllers`, `imports`
  and `exports` hold the very same objects; only for modules whose providers are
  classes and aliases (a module with a value or a factory is compiled every time, so
  the cache holds no value of a test's making);
- what the testing container works out from a compiled module (the module's part of the
  graph key below, which providers may receive lifecycle hooks in lazy mode);
- the outcome of PyNest's graph validation: the cycle check over constructor annotations
  and the module encapsulation check, which together are a fifth of a cold compile of a
  large app. Only successful validations are kept.

Instances are never kept, so a test can never see another test's objects. The caches
are bounded (least recently used first out) and can be turned off per builder
(`builder.use_blueprint_cache(False)`) or for the process with the environment variable
`NEST_TESTING_BLUEPRINT_CACHE=0`.
"""

from __future__ import annotations

import itertools
import operator
import os
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable
from functools import partial
from typing import Any, TypeVar

from nest.common.module import CompiledModule, ModuleCompiler, ModuleTokenFactory

from nest_testing._lru import LRU

MAX_BLUEPRINTS = 64
MAX_COMPILED_MODULES = 4096  # about 40 apps of 100 modules; grows to the largest app

T = TypeVar("T")

_READ = ("providers", "controllers", "imports", "exports")  # what ModuleCompiler reads


def enabled_by_default() -> bool:
    return os.environ.get("NEST_TESTING_BLUEPRINT_CACHE", "1") not in ("0", "false", "no", "")


def _is_root(metatype: type) -> bool:
    return bool(getattr(metatype, "__nest_testing_root__", False))


class _Part:
    """A module's part of a graph key: hashed once, equal to itself at no cost (a cached
    part is the same object in every key that contains it)."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value
        self._hash = hash(value)  # TypeError for an unhashable token: nothing is cached

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, _Part) and self.value == other.value)


def _module_part(compiled: CompiledModule) -> _Part:
    return _Part(
        (
            tuple(compiled.imports),
            tuple(compiled.exports),
            tuple(compiled.controllers),
            tuple(
                (
                    d.provide,
                    d.use_class,
                    d.use_existing,
                    tuple(d.inject or ()),
                    d.use_factory is not None,
                    d.scope,
                )
                for d in compiled.provider_descriptors
            ),
        )
    )


def graph_key(modules: Iterable[Any]) -> Hashable:
    """Everything PyNest's validation reads from a registered module graph.

    `modules` are PyNest `ModuleRef` objects; descriptors are reduced to what the
    checks look at (tokens, classes, aliases, factory inputs, scopes), never to values.
    """
    key = []
    for ref in modules:
        compiled = ref.compiled
        key.append(
            (
                None if _is_root(ref.metatype) else ref.metatype,  # a new class every time
                bool(getattr(ref.metatype, "__is_global__", False)),
                BLUEPRINTS.derived(compiled, "graph_part", partial(_module_part, compiled)),
            )
        )
    return tuple(key)


def _source(metatype: type) -> tuple[tuple[Any, ...], ...]:
    """Everything `ModuleCompiler.compile` reads from a module class, to be compared by
    identity: a dict provider by its items too, since the compile copies them."""
    read = [tuple(getattr(metatype, name, None) or ()) for name in _READ]
    dicts = [tuple(itertools.chain(*p.items())) for p in read[0] if isinstance(p, dict)]
    return (*read, *dicts)


def _same(a: tuple[tuple[Any, ...], ...], b: tuple[tuple[Any, ...], ...]) -> bool:
    # Identity, never ==: a user's value may compare equal, or refuse to compare at all.
    return len(a) == len(b) and all(
        len(x) == len(y) and all(map(operator.is_, x, y)) for x, y in zip(a, b, strict=True)
    )


class _Compiled:
    __slots__ = ("compiled", "derived", "source")

    def __init__(self, source: tuple[tuple[Any, ...], ...], compiled: CompiledModule) -> None:
        self.source = source
        self.compiled = compiled
        self.derived: dict[str, Any] = {}


class BlueprintCache:
    """Bounded, thread-safe caches of compiled modules, what was worked out from them,
    and graph keys that passed validation."""

    def __init__(self, size: int = MAX_BLUEPRINTS, modules: int = MAX_COMPILED_MODULES) -> None:
        self._validated: LRU[Hashable, bool] = LRU(size)
        self._compiled: LRU[type, _Compiled] = LRU(modules)
        self._by_id: dict[int, _Compiled] = {}  # entries keep their module alive: ids hold
        self._ids: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def validated(self, key: Hashable) -> bool:
        with self._lock:
            if self._validated.get(key):
                self.hits += 1
                return True
            self.misses += 1
            return False

    def remember(self, key: Hashable) -> None:
        with self._lock:
            self._validated.put(key, True)

    def compiled(self, metatype: type, source: tuple[tuple[Any, ...], ...]) -> Any:
        """The kept compile of `metatype`, if it was compiled from `source`."""
        with self._lock:
            entry = self._compiled.get(metatype)
            if entry is None or not _same(entry.source, source):
                return None
            return entry.compiled

    def keep_compiled(
        self,
        metatype: type,
        source: tuple[tuple[Any, ...], ...],
        compiled: CompiledModule,
        *,
        room: int = 0,
    ) -> None:
        """Keep `compiled`; the cache holds at least `room` modules (the app's so far)."""
        with self._lock:
            self._compiled.fit(room)
            old = self._compiled.pop(metatype)
            if old is not None:
                del self._by_id[id(old.compiled)]
            entry = _Compiled(source, compiled)
            self._by_id[id(compiled)] = entry
            for evicted in self._compiled.put(metatype, entry):
                del self._by_id[id(evicted.compiled)]

    def derived(self, compiled: CompiledModule, name: str, make: Callable[[], T]) -> T:
        """`make()`, worked out once per kept compiled module (every time for another)."""
        with self._lock:
            entry = self._by_id.get(id(compiled))
            if entry is not None and entry.compiled is compiled and name in entry.derived:
                value: T = entry.derived[name]
                return value
        value = make()
        if entry is not None and entry.compiled is compiled:
            with self._lock:
                entry.derived.setdefault(name, value)
        return value

    def module_id(self, metatype: type, new: Callable[[], str]) -> str:
        """The id PyNest's token factory gives `metatype`: the same in every container,
        so a kept compiled module's token is the one each container's factory makes."""
        with self._lock:
            module_id = self._ids.get(metatype)
            if module_id is None:
                module_id = self._ids[metatype] = new()
            return module_id

    def clear(self) -> None:
        with self._lock:
            self._validated.clear()
            self._compiled.clear()
            self._by_id.clear()
            self.hits = self.misses = 0


BLUEPRINTS = BlueprintCache()


class BlueprintTokens(ModuleTokenFactory):  # type: ignore[misc]  # PyNest is untyped
    """PyNest's module token factory, with one id per module class for the process (PyNest
    draws a random one per container), so that compiled modules can be kept."""

    def get_module_id(self, metatype: type) -> str:
        module_id = self.module_ids_cache.get(metatype)
        if module_id is None:
            module_id = BLUEPRINTS.module_id(metatype, self.random_string_generator)
            self.module_ids_cache[metatype] = module_id
        return str(module_id)


class BlueprintCompiler(ModuleCompiler):  # type: ignore[misc]  # PyNest is untyped
    """PyNest's module compiler, reusing the compile of a module class whose metadata
    still holds the same objects. Mixed in below the overriding compiler, so overrides
    are applied to each container's own copy, never to the kept one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # PyNest's add_module compiles a module again each time another module imports
        # it, only to find it registered: within one container, the first compile stands.
        self._here: dict[type, CompiledModule] = {}

    def compile(self, metatype: type[Any]) -> CompiledModule:
        here = self._here.get(metatype)
        if here is not None:
            return here
        compiled = self._here[metatype] = self._kept_or_compiled(metatype)
        return compiled

    def _kept_or_compiled(self, metatype: type[Any]) -> CompiledModule:
        if _is_root(metatype):  # a new class per testing module: nothing to reuse
            return super().compile(metatype)
        source = _source(metatype)
        token = self.module_token_factory.create(metatype)
        kept = BLUEPRINTS.compiled(metatype, source)
        if kept is not None and kept.token == token:
            return kept
        compiled: CompiledModule = super().compile(metatype)
        if all(
            d.use_value is None and d.use_factory is None for d in compiled.provider_descriptors
        ):
            # classes and tokens only
            BLUEPRINTS.keep_compiled(metatype, source, compiled, room=len(self._here))
        return compiled
