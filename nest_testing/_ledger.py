"""The construction ledger: who was built, when, by whom, and who received what.

One ledger per testing module. It is written from the module's event-loop thread, from
the thread pool FastAPI runs sync dependencies in, and from test threads, so every
write takes a lock.
"""

from __future__ import annotations

import operator
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from nest_testing._tokens import did_you_mean, token_name
from nest_testing.errors import UnknownTokenError


class Phase(str, Enum):
    """When a construction happened in the life of a testing module."""

    COMPILE = "compile"
    """While the container was built: factories and what they inject."""
    STARTUP = "startup"
    """Lifecycle init hooks, controllers and gateways, the ASGI lifespan startup."""
    REQUEST = "request"
    """While the module was open: requests, `get()` / `resolve()` calls."""
    SHUTDOWN = "shutdown"
    """Shutdown hooks and the ASGI lifespan shutdown."""


class Construction(NamedTuple):
    """One object built for `token`: by the container or by a FastAPI `Depends`.

    Immutable and compared by value. (A named tuple rather than a frozen dataclass: a
    startup pass makes thousands, and a frozen dataclass takes five times as long to
    make, each field set through `object.__setattr__`.)"""

    token: Hashable
    serial: int
    phase: Phase
    via: str
    route: str | None = None

    def describe(self) -> str:
        where = f" on {self.route}" if self.route else ""
        return f"#{self.serial} ({self.phase.value}, {self.via}{where})"


_new_construction = tuple.__new__  # Construction(...) without its keyword handling
_TOKEN = operator.itemgetter(0)
_PHASE = operator.itemgetter(2)


def _reference(obj: object) -> Callable[[], object]:
    """A callable that returns `obj`, without keeping it alive when it can."""
    try:
        return weakref.ref(obj)
    except TypeError:  # ints, strs, slotted objects: hold them strongly
        return lambda: obj


class _Held:
    """A reference to an injected object that does not keep it alive when it can."""

    __slots__ = ("_ref",)

    def __init__(self, obj: object) -> None:
        self._ref = _reference(obj)

    @classmethod
    def of(cls, reference: Callable[[], object]) -> _Held:
        held = cls.__new__(cls)
        held._ref = reference
        return held

    def get(self) -> object:
        return self._ref()


@dataclass(frozen=True)
class Injection:
    """`consumer` (a construction) received `obj` for `token`."""

    consumer: Construction
    token: Hashable
    held: _Held

    @property
    def obj(self) -> object:
        return self.held.get()


class Ledger:
    """Counts constructions and records injections for one testing module."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.phase = Phase.COMPILE
        self._serial = 0
        self._counts: Counter[Hashable] = Counter()
        # By the phase's value: an Enum member hashes in Python, a str in C.
        self._by_phase: dict[str, Counter[Hashable]] = {phase.value: Counter() for phase in Phase}
        self._constructions: list[Construction] = []
        # The counts are folded from the constructions when read (`_fold`): a startup
        # pass commits thousands, and a commit is then one append.
        self._folded = 0
        # Injections as three parallel lists (consumer, token, reference to the object),
        # made `Injection`s when read: a startup pass records thousands, and every tuple
        # would be one more object for the garbage collector to visit.
        self._consumers: list[Construction] = []
        self._tokens: list[Hashable] = []
        self._references: list[Callable[[], object]] = []

    def begin(self, token: Hashable, via: str, route: str | None = None) -> Construction:
        """Reserve a serial for a construction that is starting (for the consumer stack)."""
        with self._lock:
            self._serial += 1
            serial = self._serial
        return _new_construction(Construction, (token, serial, self.phase, via, route))

    def commit(self, construction: Construction) -> None:
        """Count a construction that finished without raising."""
        with self._lock:
            self._constructions.append(construction)

    def _fold(self) -> None:
        """Count the constructions committed since the last fold (the lock is held)."""
        new = self._constructions[self._folded :]
        if not new:
            return
        self._folded += len(new)
        tokens = list(map(_TOKEN, new))
        self._counts.update(tokens)
        # (phase, token) pairs counted in C, in first-seen order, then split by phase.
        for (phase, token), count in Counter(zip(map(_PHASE, new), tokens, strict=True)).items():
            counts = self._by_phase[phase.value]
            counts[token] = counts.get(token, 0) + count

    def record(self, token: Hashable, via: str, route: str | None = None) -> None:
        """Count a construction that happened in one step (a factory, a `Depends`)."""
        self.commit(self.begin(token, via, route))

    def inject(self, consumer: Construction, token: Hashable, obj: object) -> None:
        """Note that `consumer` received `obj` for `token`."""
        reference = _reference(obj)
        with self._lock:
            self._consumers.append(consumer)
            self._tokens.append(token)
            self._references.append(reference)

    def inject_all(
        self, consumer: Construction, tokens: Collection[Hashable], objects: Iterable[object]
    ) -> None:
        """`inject(consumer, token, obj)` for each token of `tokens` and the object of
        `objects` at the same place, in order."""
        try:  # as _reference, inline: a startup pass records thousands
            references: list[Callable[[], object]] = list(map(weakref.ref, objects))
        except TypeError:
            references = [_reference(obj) for obj in objects]
        with self._lock:
            self._consumers.extend([consumer] * len(tokens))
            self._tokens.extend(tokens)
            self._references.extend(references)

    def count(self, token: Hashable) -> int:
        with self._lock:
            self._fold()
            return self._counts[token]

    def snapshot(self) -> Counter[Hashable]:
        with self._lock:
            self._fold()
            return Counter(self._counts)

    def by_phase(self) -> dict[Phase, Counter[Hashable]]:
        with self._lock:
            self._fold()
            return {phase: Counter(self._by_phase[phase.value]) for phase in Phase}

    def last_serial(self) -> int:
        """The serial of the latest construction begun: later ones have greater serials."""
        with self._lock:
            return self._serial

    def constructions_since(self, serial: int) -> list[Construction]:
        """Finished constructions whose serial is greater than `serial`, in order."""
        with self._lock:
            return [c for c in self._constructions if c.serial > serial]

    def constructions_of(self, token: Hashable) -> list[Construction]:
        with self._lock:
            return [c for c in self._constructions if c.token == token]

    def injections_of(self, token: Hashable) -> list[Injection]:
        return [i for i in self.injections() if i.token == token]

    def injections(self) -> list[Injection]:
        """Every injection, in the order they happened."""
        with self._lock:
            records = zip(self._consumers, self._tokens, self._references, strict=True)
            return [Injection(c, t, _Held.of(r)) for c, t, r in records]


class ConstructionCounts(Mapping[Hashable, int]):
    """`module.constructions`: how many times each provider was built.

    A read-only, live mapping from token to count that reads like a `Counter`: tokens
    the module knows but never built read as `0` and are not `in` it; iterating
    yields the tokens built at least once. A token the module does not know raises
    `UnknownTokenError` (with a did-you-mean) rather than silently
    reading `0`.

    Example:
        ```python
        module.constructions[Logger] == 1
        module.constructions.by_phase["request"][ItemService] == 0
        dict(module.constructions)  # {ConfigService: 1, Logger: 1, ...}
        ```
    """

    def __init__(self, ledger: Ledger, known: Callable[[], Collection[Hashable]]) -> None:
        self._ledger = ledger
        self._known = known

    def __getitem__(self, token: Hashable) -> int:
        count = self._ledger.count(token)
        if count or token in self._known():
            return count
        known = self._known()
        raise UnknownTokenError(
            f"{token_name(token)} is not a provider, controller or Depends() class of this "
            f"testing module, so it has no construction count.{did_you_mean(token, known)}",
            token=token,
        )

    def __contains__(self, token: Any) -> bool:
        """Like a `Counter`: in it once constructed at least once."""
        try:
            return self._ledger.count(token) > 0
        except TypeError:  # unhashable: never a token
            return False

    def __iter__(self) -> Iterator[Hashable]:
        return iter(+self._ledger.snapshot())

    def __len__(self) -> int:
        return len(+self._ledger.snapshot())

    @property
    def by_phase(self) -> Mapping[str, Mapping[Hashable, int]]:
        """Counts split by phase: `"compile"`, `"startup"`, `"request"`, `"shutdown"`.

        Example:
            ```python
            module.constructions.by_phase["startup"][Logger] == 1
            ```
        """
        return {phase.value: dict(counts) for phase, counts in self._ledger.by_phase().items()}

    def __repr__(self) -> str:
        inner = ", ".join(f"{token_name(t)}: {n}" for t, n in self._ledger.snapshot().items())
        return f"ConstructionCounts({{{inner}}})"
