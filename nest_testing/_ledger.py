"""The construction ledger: who was built, when, by whom, and who received what.

One ledger per testing module. It is written from the module's event-loop thread, from
the thread pool FastAPI runs sync dependencies in, and from test threads, so every
write of more than one list takes a lock (a commit is one atomic append). Records are
kept in plain lists and made `Construction`s and `Injection`s when read.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple, Protocol

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


def _reference(obj: object) -> Callable[[], object]:
    """A callable that returns `obj`, without keeping it alive when it can."""
    try:
        return weakref.ref(obj)
    except TypeError:  # ints, strs, slotted objects: hold them strongly
        return lambda: obj


class Keeper(Protocol):
    """What keeps the instances it built (the testing injector's singleton scope)."""

    instances: dict[Any, Any]


class KeeperRef(weakref.ref[Keeper]):
    """A weak reference to a `Keeper`, recorded for an injection of an object the
    keeper holds (rather than a weak reference to the object itself)."""

    __slots__ = ()


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


class _HeldByKeeper:
    """An injected object read back, by its token, from the keeper that holds it."""

    __slots__ = ("_keeper", "_token")

    def __init__(self, keeper: KeeperRef, token: Hashable) -> None:
        self._keeper = keeper
        self._token = token

    def get(self) -> object:
        keeper = self._keeper()
        return None if keeper is None else keeper.instances.get(self._token)


@dataclass(frozen=True)
class Injection:
    """`consumer` (a construction) received `obj` for `token`."""

    consumer: Construction
    token: Hashable
    held: _Held | _HeldByKeeper

    @property
    def obj(self) -> object:
        return self.held.get()


_Kind = tuple[Phase, str, str | None]  # (phase, via, route) of a construction

_PHASE_VALUES = tuple(phase.value for phase in Phase)


class Ledger:
    """Counts constructions and records injections for one testing module.

    A construction in progress is known by its serial (`begin` returns it): the
    resolution stack and the injections refer to constructions by serial, and a
    `Construction` is made only when one is read. (The lock is taken with `acquire` /
    `release`: a `with` block costs half as much again as the appends it guards.)"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Every construction begun, as parallel lists indexed by its serial (index 0, no
        # serial, is a placeholder): its token, and its kind, one tuple shared by all the
        # constructions of a phase, via and route. A startup pass begins thousands, and a
        # named tuple each would be one more object for the garbage collector to visit.
        self._token: list[Hashable] = [None]
        self._kind: list[_Kind] = [(Phase.COMPILE, "", None)]
        self._kinds: dict[_Kind, _Kind] = {}
        self.phase = Phase.COMPILE  # (sets `_container`, the kind of the injector's own)
        # The serials of the constructions that finished, in the order they finished.
        self._committed: list[int] = []
        self._counts: Counter[Hashable] = Counter()
        # By the phase's value: an Enum member hashes in Python, a str in C. Plain dicts
        # from the values read once (each Counter, and iterating the Enum reading each
        # member's value, cost more than the rest of a new ledger together).
        self._by_phase: dict[str, dict[Hashable, int]] = {value: {} for value in _PHASE_VALUES}
        # The counts are folded from the committed serials when read (`_fold`): a startup
        # pass commits thousands, and a commit is then one append.
        self._folded = 0
        # Injections as three parallel lists, made `Injection`s when read: the consumer's
        # serial, then either a token and a reference to the object, or (recorded by
        # `begin_injected` and `inject_kept`) a token or a plan (a dict, never a token:
        # each of its values is one) and the `KeeperRef` of what keeps the objects.
        self._consumers: list[int] = []
        self._tokens: list[Hashable | Mapping[str, Hashable]] = []
        self._references: list[Callable[[], object]] = []

    @property
    def phase(self) -> Phase:
        """The phase constructions begun from now on belong to."""
        return self._phase

    @phase.setter
    def phase(self, phase: Phase) -> None:
        self._phase = phase
        self._container = self._kind_of(phase, "container", None)

    def _kind_of(self, phase: Phase, via: str, route: str | None) -> _Kind:
        kind = (phase, via, route)
        return self._kinds.setdefault(kind, kind)

    def begin(self, token: Hashable, via: str, route: str | None = None) -> int:
        """Reserve a serial for a construction that is starting (for the consumer
        stack); `commit` it when it finishes."""
        kind = self._kind_of(self._phase, via, route)
        lock = self._lock
        lock.acquire()
        try:
            tokens = self._token
            tokens.append(token)
            self._kind.append(kind)
            return len(tokens) - 1
        finally:
            lock.release()

    def begin_injected(
        self, token: Hashable, plan: Mapping[str, Hashable], keeper: KeeperRef
    ) -> int:
        """`begin(token, "container")`, then `inject(serial, t, keeper().instances[t])`
        for each token `t` of the values of `plan` (a constructor plan, never changed
        once made): a construction whose dependencies are all kept by `keeper` (a weak
        reference to the singleton scope that holds them). Each injection is read back
        from the keeper instead of held by a weak reference of its own: the same object
        while the keeper lives (a kept instance is never replaced), `None` once it is
        gone (which a weak reference to the object itself would also read once nothing
        else holds it)."""
        lock = self._lock
        lock.acquire()
        try:
            tokens = self._token
            tokens.append(token)
            self._kind.append(self._container)
            serial = len(tokens) - 1
            self._consumers.append(serial)
            self._tokens.append(plan)
            self._references.append(keeper)
            return serial
        finally:
            lock.release()

    def commit(self, serial: int) -> None:
        """Count a construction that finished without raising."""
        # One append, atomic under the GIL (and a list's own lock without it): readers
        # copy or slice the list under the ledger's lock, and see it or not.
        self._committed.append(serial)

    def token_of(self, serial: int) -> Hashable:
        """The token of a construction begun (an entry is never changed once written)."""
        return self._token[serial]

    def _construction(self, serial: int) -> Construction:
        return _new_construction(Construction, (self._token[serial], serial, *self._kind[serial]))

    def _fold(self) -> None:
        """Count the constructions committed since the last fold (the lock is held)."""
        new = self._committed[self._folded :]
        if not new:
            return
        self._folded += len(new)
        tokens = list(map(self._token.__getitem__, new))
        self._counts.update(tokens)
        # (kind, token) pairs counted in C, in first-seen order, then split by phase (a
        # member's value is read once per kind: a kind is shared by many constructions).
        kinds = map(self._kind.__getitem__, new)
        of_kind: dict[_Kind, dict[Hashable, int]] = {}
        for (kind, token), count in Counter(zip(kinds, tokens, strict=True)).items():
            counts = of_kind.get(kind)
            if counts is None:
                counts = of_kind[kind] = self._by_phase[kind[0].value]
            counts[token] = counts.get(token, 0) + count

    def record(self, token: Hashable, via: str, route: str | None = None) -> None:
        """Count a construction that happened in one step (a factory, a `Depends`)."""
        self.commit(self.begin(token, via, route))

    def inject(self, consumer: int, token: Hashable, obj: object) -> None:
        """Note that the construction `consumer` (a serial) received `obj` for `token`."""
        self._inject(consumer, token, _reference(obj))

    def inject_kept(
        self, consumer: int, tokens: Hashable | Mapping[str, Hashable], keeper: KeeperRef
    ) -> None:
        """`inject(consumer, t, keeper().instances[t])` for the token `tokens`, or for
        each value `t` of `tokens` when it is a plan (a dict); read back from the keeper
        as `begin_injected` does."""
        self._inject(consumer, tokens, keeper)

    def _inject(
        self,
        consumer: int,
        tokens: Hashable | Mapping[str, Hashable],
        reference: Callable[[], object],
    ) -> None:
        lock = self._lock
        lock.acquire()
        try:
            self._consumers.append(consumer)
            self._tokens.append(tokens)
            self._references.append(reference)
        finally:
            lock.release()

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
            return len(self._token) - 1

    def constructions_since(self, serial: int) -> list[Construction]:
        """Finished constructions whose serial is greater than `serial`, in the order
        they finished."""
        with self._lock:
            return [self._construction(s) for s in self._committed if s > serial]

    def constructions_of(self, token: Hashable) -> list[Construction]:
        with self._lock:
            return [self._construction(s) for s in self._committed if self._token[s] == token]

    def injections_of(self, token: Hashable) -> list[Injection]:
        return [i for i in self.injections() if i.token == token]

    def injections(self) -> list[Injection]:
        """Every injection, in the order they happened."""
        with self._lock:
            records = list(zip(self._consumers, self._tokens, self._references, strict=True))
            consumers = {serial: self._construction(serial) for serial, _, _ in records}
        found = []
        for serial, tokens, reference in records:
            consumer = consumers[serial]
            if not isinstance(reference, KeeperRef):
                found.append(Injection(consumer, tokens, _Held.of(reference)))
            elif isinstance(tokens, dict):  # a plan: one injection per dependency
                found += [
                    Injection(consumer, t, _HeldByKeeper(reference, t)) for t in tokens.values()
                ]
            else:
                found.append(Injection(consumer, tokens, _HeldByKeeper(reference, tokens)))
        return found


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
