"""The checks a testing module's graph passes before anything is built.

In order: no import cycles (before PyNest registers, since PyNest would recurse), every
override names something the graph has, PyNest's own cycle and encapsulation checks
(skipped when this exact graph passed them before, see `nest_testing._blueprints`),
and, in strict mode, no class built implicitly. Each check decides only whether the
graph is acceptable; the texts are in `nest_testing._graph_errors`. Nothing here
builds an instance or changes the graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable

from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.core.encapsulation import validate_module_encapsulation
from nest.core.pynest_container import ModuleRef

from nest_testing import _graph_errors as errors
from nest_testing._blueprints import BLUEPRINTS, graph_key
from nest_testing._graph import ModuleGraph
from nest_testing._plan import Plan, exported_tokens
from nest_testing._tokens import token_name
from nest_testing._topology import Topology


def refuse_import_cycles(root: type, plan: Plan) -> None:
    """PyNest registers a module's imports before the module itself, so modules that
    import each other recurse until Python gives up; name the cycle instead."""
    path: list[type] = []
    done: set[type] = set()

    def visit(module: type) -> None:
        if module in done:
            return
        if module in path:
            cycle = [m.__name__ for m in path[path.index(module) :]] + [module.__name__]
            lead = [m.__name__ for m in path[: path.index(module)] if m is not root]
            raise errors.import_cycle(cycle, lead)
        path.append(module)
        for imported in getattr(module, "imports", None) or []:
            visit(plan.modules.get(imported, imported))
        path.pop()
        done.add(module)

    visit(root)


def check_overrides(
    topology: Topology, plan: Plan, applied: set[Hashable], replaced_modules: set[type]
) -> None:
    """Every replaced token was found in the graph, every replaced module is imported,
    and a replacement module exports what the module it replaces exports."""
    missing = [token for token in plan.replacements if token not in applied]
    if missing:
        raise errors.unknown_overrides(missing, topology)
    unused = [module for module in plan.modules if module not in replaced_modules]
    if unused:
        raise errors.unused_module_overrides(unused, topology)
    for old, new in plan.modules.items():
        lost = [t for t in exported_tokens(old) if t not in exported_tokens(new)]
        if lost:
            raise errors.lost_exports(old, new, lost)


def validate(
    modules: dict[str, ModuleRef],
    validate_dependency_graph: Callable[[], None],
    topology: Topology,
    *,
    cached: bool,
) -> None:
    """PyNest's cycle and encapsulation checks; with `cached`, skipped when this exact
    graph passed them before."""
    if not cached:
        _run_validation(modules, validate_dependency_graph, topology)
        return
    try:
        key = graph_key(modules.values())
        hash(key)
    except TypeError:  # an unhashable token somewhere: validate, and keep nothing
        _run_validation(modules, validate_dependency_graph, topology)
        return
    if BLUEPRINTS.validated(key):
        return
    _run_validation(modules, validate_dependency_graph, topology)
    BLUEPRINTS.remember(key)


def _run_validation(
    modules: dict[str, ModuleRef],
    validate_dependency_graph: Callable[[], None],
    topology: Topology,
) -> None:
    try:
        validate_dependency_graph()
    except CircularDependencyException as exc:
        raise errors.circular_dependency(exc, topology) from exc
    try:
        validate_module_encapsulation(modules)
    except ProviderNotExportedException as exc:
        raise errors.encapsulation(exc, topology) from exc


def refuse_implicit(
    graph: ModuleGraph, topology: Topology, offered: Callable[[Hashable], bool]
) -> None:
    """Strict mode: name every class the injector would build implicitly, in one error
    (the injector would stop at the first; a user fixing a module wants the full list).
    `offered(token)` asks the mocker, when set; what it supplies needs nothing further.
    """
    missing: list[tuple[tuple[str, ...], str, Hashable]] = []
    queue = deque(
        (topology.owner_path(token), topology.module_name_of(token), token)
        for token in _registered(graph)
    )
    seen: set[Hashable] = set()
    while queue:
        path, module, consumer = queue.popleft()
        if consumer in seen:
            continue
        seen.add(consumer)
        for dependency in graph.dependencies(consumer):
            if graph.node(dependency).kind != "implicit":
                continue
            if offered(dependency):
                continue
            consumer_path = (*path, token_name(consumer))
            missing.append((consumer_path, module, dependency))
            queue.append((consumer_path, module, dependency))
    if missing:
        raise errors.implicit_providers(missing)


def _registered(graph: ModuleGraph) -> Iterable[Hashable]:
    return (token for token, node in graph.nodes.items() if node.kind != "implicit")
