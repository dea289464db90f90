"""Blueprints: what a compile learns that does not depend on instances, kept for reuse.

Compiling the same configuration again (same modules with the same providers, imports,
exports and controllers, same kinds of overrides) reuses the outcome of PyNest's graph
validation: the cycle check over constructor annotations and the module encapsulation
check, which together are a fifth of a cold compile of a large app. Only successful
validations are kept; instances are never kept, so a test can never see another test's
objects. The cache is bounded (least recently used first out) and can be turned off per
builder (``builder.use_blueprint_cache(False)``) or for the process with the environment
variable ``NEST_TESTING_BLUEPRINT_CACHE=0``.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any

MAX_BLUEPRINTS = 64


def enabled_by_default() -> bool:
    return os.environ.get("NEST_TESTING_BLUEPRINT_CACHE", "1") not in ("0", "false", "no", "")


def graph_key(modules: Iterable[Any]) -> Hashable:
    """Everything PyNest's validation reads from a registered module graph.

    ``modules`` are PyNest ``ModuleRef`` objects; descriptors are reduced to what the
    checks look at (tokens, classes, aliases, factory inputs, scopes), never to values.
    """
    key = []
    for ref in modules:
        compiled = ref.compiled
        root = getattr(ref.metatype, "__nest_testing_root__", False)
        key.append(
            (
                None if root else ref.metatype,  # each testing module's root is a new class
                bool(getattr(ref.metatype, "__is_global__", False)),
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
    return tuple(key)


class BlueprintCache:
    """A bounded, thread-safe set of graph keys that passed validation."""

    def __init__(self, size: int = MAX_BLUEPRINTS) -> None:
        self._size = size
        self._validated: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def validated(self, key: Hashable) -> bool:
        with self._lock:
            if key in self._validated:
                self._validated.move_to_end(key)
                self.hits += 1
                return True
            self.misses += 1
            return False

    def remember(self, key: Hashable) -> None:
        with self._lock:
            self._validated[key] = None
            self._validated.move_to_end(key)
            while len(self._validated) > self._size:
                self._validated.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._validated.clear()
            self.hits = self.misses = 0


BLUEPRINTS = BlueprintCache()
