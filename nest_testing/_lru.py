"""A bounded map that forgets the least recently used entry first.

The caches that outlive a testing module (blueprints, route templates) are bounded, so
that a suite that makes apps at run time does not pile them up; the bound grows to the
largest app seen (`fit`), so no app is larger than its cache. Not thread-safe: each
cache holds its own lock around it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `size` entries; `get()` and `put()` make an entry the most recent.

    Example:
        ```python
        seen: LRU[str, int] = LRU(2)
        seen.put("a", 1); seen.put("b", 2); seen.get("a"); seen.put("c", 3)
        assert seen.get("b") is None  # the least recently used went first
        ```
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> list[V]:
        """Store `value`; returns the values this pushed out."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        evicted = []
        while len(self._entries) > self._size:
            evicted.append(self._entries.popitem(last=False)[1])
        return evicted

    def fit(self, size: int) -> None:
        """Hold at least `size` entries from now on (an app larger than the bound must
        not evict its own entries while it is compiled)."""
        self._size = max(self._size, size)

    def pop(self, key: K) -> V | None:
        return self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
