"""Text the pytest plugin prints: the construction report and the singleton guard.

Both read one test's window of a module's ledger: constructions with a serial greater
than `since` (0 for a module the test compiled itself; for a module shared by several
tests, where the previous test that used it ended). They only format; the plugin
decides when to print and when to fail, and nothing here changes the module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from nest_testing._ledger import Construction, Phase
from nest_testing._testing_module import TestingModule
from nest_testing._tokens import token_name


def construction_report(module: TestingModule, since: int = 0) -> str:
    """Every provider's construction count in the window, total and by phase, doubles
    marked."""
    by_phase: dict[Phase, Counter[Hashable]] = {phase: Counter() for phase in Phase}
    for construction in module._ledger.constructions_since(since):
        by_phase[construction.phase][construction.token] += 1
    statuses = {token: node.status for token, node in module.graph.nodes.items()}
    tokens: dict[Hashable, None] = dict.fromkeys(module.graph.nodes)
    for built in by_phase.values():
        tokens.update(dict.fromkeys(built))
    rows = []
    for token in tokens:
        counts = [by_phase[phase][token] for phase in Phase]
        status = statuses.get(token, "real")
        name = token_name(token) + ("" if status == "real" else f" ({status})")
        rows.append((name, sum(counts), counts))
    width = max([len("provider"), *(len(name) for name, _, _ in rows)])
    header = f"{'provider':<{width}}  {'total':>5}  " + "  ".join(
        f"{phase.value:>8}" for phase in Phase
    )
    lines = [header]
    if since:
        lines.insert(0, "(this test only: its module is shared with other tests)")
    for name, total, counts in rows:
        lines.append(
            f"{name:<{width}}  {total:>5}  " + "  ".join(f"{count:>8}" for count in counts)
        )
    return "\n".join(lines)


def singleton_violations(module: TestingModule, since: int = 0) -> list[str]:
    """One paragraph per singleton provider constructed more than once, at least once in
    the window; in the order of their first construction (then by name), so a report
    reads the same on every run."""
    found: list[tuple[int, str, list[Construction]]] = []
    for token in module._singleton_tokens():
        constructions = sorted(module._ledger.constructions_of(token), key=_serial)
        if len(constructions) > 1 and constructions[-1].serial > since:
            found.append((constructions[0].serial, token_name(token), constructions))
    violations = []
    for _, name, constructions in sorted(found, key=lambda entry: entry[:2]):
        extra = "\n".join(
            f"    {c.describe()}" + (" (before this test)" if c.serial <= since else "")
            for c in constructions
        )
        violations.append(
            f"{name} is a singleton but was constructed {len(constructions)} times:\n{extra}"
        )
    return violations


def _serial(construction: Construction) -> int:
    return construction.serial
