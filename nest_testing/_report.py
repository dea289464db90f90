"""Text the pytest plugin prints: the construction report and the singleton guard.

Reads a testing module's counts and graph and lays them out; it decides nothing about
pass or fail (the plugin does) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Hashable

from nest_testing._ledger import Phase
from nest_testing._testing_module import TestingModule
from nest_testing._tokens import token_name


def construction_report(module: TestingModule) -> str:
    """Every provider's construction count, total and by phase, doubles marked."""
    by_phase = module.constructions.by_phase
    statuses = {token: node.status for token, node in module.graph.nodes.items()}
    tokens: dict[Hashable, None] = dict.fromkeys(module.graph.nodes)
    tokens.update(dict.fromkeys(module.constructions))
    phases = [phase.value for phase in Phase]
    rows = []
    for token in tokens:
        counts = [by_phase[phase].get(token, 0) for phase in phases]
        status = statuses.get(token, "real")
        name = token_name(token) + ("" if status == "real" else f" ({status})")
        rows.append((name, sum(counts), counts))
    width = max([len("provider"), *(len(name) for name, _, _ in rows)])
    header = f"{'provider':<{width}}  {'total':>5}  " + "  ".join(f"{p:>8}" for p in phases)
    lines = [header]
    for name, total, counts in rows:
        lines.append(
            f"{name:<{width}}  {total:>5}  " + "  ".join(f"{count:>8}" for count in counts)
        )
    return "\n".join(lines)


def singleton_violations(module: TestingModule) -> list[str]:
    """One paragraph per singleton provider constructed more than once."""
    violations = []
    for token in module._singleton_tokens():
        constructions = module._ledger.constructions_of(token)
        if len(constructions) <= 1:
            continue
        extra = "\n".join(f"    {c.describe()}" for c in constructions)
        violations.append(
            f"{token_name(token)} is a singleton but was constructed {len(constructions)} "
            f"times:\n{extra}"
        )
    return violations
