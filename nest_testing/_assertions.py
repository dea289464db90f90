"""Failure text for the construction and identity assertions.

Each function returns `None` when the expectation holds, or the message of the
`AssertionError` to raise: expected against actual, where each construction came
from, and the fix when we know it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping

from nest.common.provider import Scope

from nest_testing._ledger import Construction, Injection
from nest_testing._tokens import token_name


def _listing(constructions: list[Construction]) -> str:
    if not constructions:
        return ""
    return "\n" + "\n".join(f"  {token_name(c.token)} {c.describe()}" for c in constructions)


def constructed_times(
    token: Hashable, expected: int, constructions: list[Construction]
) -> str | None:
    actual = len(constructions)
    if actual == expected:
        return None
    return (
        f"{token_name(token)}: expected {expected} construction(s), got {actual}."
        f"{_listing(constructions)}"
    )


def not_registered(token: Hashable, constructions: list[Construction], consumers: str) -> str:
    name = token_name(token)
    return (
        f"{name} is not a singleton: it is not registered as a provider in any module, so the "
        f"injector builds it implicitly and unscoped: a new instance for every consumer and "
        f"every get(). It was constructed {len(constructions)} time(s).{_listing(constructions)}\n"
        f"Fix: add {name} to providers=[...] of {consumers}."
    )


def dropped_value(token: Hashable) -> str:
    name = token_name(token)
    return (
        f"{name} is registered as {{'provide': {name}, 'useValue': None}}, which PyNest 0.6 "
        f"drops: there is no {name} in the container, and the injector builds one "
        "implicitly for every consumer instead. Provide a real value, or, in the test, "
        f"override_provider({name}, None) to inject None."
    )


def wrong_scope(token: Hashable, scope: Scope) -> str:
    return (
        f"{token_name(token)} is not a singleton: it is registered with scope "
        f"{scope.name} (a new instance per resolution)."
    )


def shared_instance(token: Hashable, target: object, injections: list[Injection]) -> str | None:
    """Every consumer must hold `target` itself."""
    strays = [i for i in injections if i.obj is not target]
    if not strays:
        return None
    lines = []
    for injection in injections:
        held = injection.obj
        verdict = "the singleton" if held is target else "A DIFFERENT OBJECT"
        lines.append(
            f"  {token_name(injection.consumer.token)} {injection.consumer.describe()} holds "
            f"{type(held).__name__} at {id(held):#x} ({verdict})"
        )
    return (
        f"{token_name(token)}: {len(strays)} of {len(injections)} consumer(s) do not hold the "
        f"instance module.get({token_name(token)}) returns ({type(target).__name__} at "
        f"{id(target):#x}):\n" + "\n".join(lines)
    )


def expected_deltas(expected: Mapping[Hashable, int], delta: Counter[Hashable]) -> str | None:
    wrong = {t: n for t, n in expected.items() if delta[t] != n}
    if not wrong:
        return None
    width = max(len(token_name(t)) for t in expected)
    rows = [f"  {'token':<{width}}  expected  actual"]
    for token, n in expected.items():
        mark = "" if delta[token] == n else "   <-- differs"
        rows.append(f"  {token_name(token):<{width}}  {n:>8}  {delta[token]:>6}{mark}")
    others = {t: n for t, n in delta.items() if t not in expected}
    tail = ""
    if others:
        tail = "\n  also constructed in the block: " + ", ".join(
            f"{token_name(t)} x{n}" for t, n in others.items()
        )
    return "Constructions inside the block differ from expectations:\n" + "\n".join(rows) + tail
