"""The ledger keeps constructions and injections as plain lists and makes the records
(`Construction`, `Injection`) when they are read; what a read returns is what the
records would have been had they been made as things happened."""

import gc
import weakref
from typing import Any

from nest_testing._ledger import Construction, KeeperRef, Ledger, Phase


class _Scope:
    def __init__(self) -> None:
        self.instances: dict[Any, Any] = {}


class _Thing:
    pass


def test_constructions_read_back_with_their_serial_phase_via_and_route_in_finishing_order() -> (
    None
):
    ledger = Ledger()
    outer = ledger.begin("outer", "container")
    inner = ledger.begin("inner", "factory")
    ledger.commit(inner)
    ledger.phase = Phase.REQUEST
    ledger.record("dep", "Depends", route="GET /items")
    ledger.commit(outer)
    assert ledger.constructions_since(0) == [
        Construction("inner", 2, Phase.COMPILE, "factory"),
        Construction("dep", 3, Phase.REQUEST, "Depends", "GET /items"),
        Construction("outer", 1, Phase.COMPILE, "container"),
    ]
    assert ledger.constructions_since(2) == [ledger.constructions_of("dep")[0]]
    assert ledger.last_serial() == 3
    assert ledger.token_of(outer) == "outer"


def test_injections_name_their_consumer_as_a_construction_finished_or_not() -> None:
    ledger = Ledger()
    thing = _Thing()
    failed = ledger.begin("failed", "container")  # never committed: still a consumer
    ledger.inject(failed, "thing", thing)
    (injection,) = ledger.injections()
    assert injection.consumer == Construction("failed", 1, Phase.COMPILE, "container")
    assert injection.token == "thing"
    assert injection.obj is thing
    assert ledger.constructions_since(0) == []


def test_an_injection_of_a_kept_singleton_is_read_back_from_its_keeper() -> None:
    ledger = Ledger()
    scope = _Scope()
    keeper = KeeperRef(scope)
    clock, config = _Thing(), _Thing()
    scope.instances.update({"clock": clock, "config": config})
    service = ledger.begin_injected("service", {"first": "clock", "then": "config"}, keeper)
    ledger.commit(service)
    user = ledger.begin("user", "container")
    ledger.inject_kept(user, "service", keeper)
    scope.instances["service"] = built = _Thing()
    ledger.commit(user)
    injections = ledger.injections()
    assert [(i.consumer.token, i.token) for i in injections] == [
        ("service", "clock"),
        ("service", "config"),
        ("user", "service"),
    ]
    assert [i.obj for i in injections] == [clock, config, built]
    assert injections[0].consumer == ledger.constructions_of("service")[0]
    assert ledger.count("service") == ledger.count("user") == 1


def test_the_ledger_keeps_neither_a_keeper_nor_what_it_keeps_alive() -> None:
    ledger = Ledger()
    scope = _Scope()
    scope.instances["clock"] = clock = _Thing()
    ledger.commit(ledger.begin_injected("service", {"clock": "clock"}, KeeperRef(scope)))
    gone_clock, gone_scope = weakref.ref(clock), weakref.ref(scope)
    del scope, clock
    gc.collect()
    assert gone_scope() is None
    assert gone_clock() is None
    (injection,) = ledger.injections()
    assert injection.obj is None  # as a weak reference to the clock itself would read
