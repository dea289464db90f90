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
from collections.abc import Callable, Hashable, Iterable, Mapping

from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.core.encapsulation import validate_module_encapsulation
from nest.core.pynest_container import ModuleRef

from nest_testing import _graph_errors as errors
from nest_testing._blueprints import BLUEPRINTS, graph_key
from nest_testing._graph import ModuleGraph, injected_by, injected_by_controller
from nest_testing._plan import Plan, exported_tokens
from nest_testing._tokens import token_name
from nest_testing._topology import Topology


def refuse_import_cycles(root: type, plan: Plan) -> None:
    """PyNest registers a module's imports before the module itself, so modules that
    import each other recurse until Python gives up; name the cycle instead."""
    _visit(root, root, plan.modules, [], set())


def _visit(
    module: type, root: type, replaced: Mapping[type, type], path: list[type], done: set[type]
) -> None:
    # A function of its own, not a closure: a recursive closure and its cell refer to each
    # other, which left the function, its cells, `path` and `done` to the collector.
    if module in done:
        return
    if module in path:
        cycle = [m.__name__ for m in path[path.index(module) :]] + [module.__name__]
        lead = [m.__name__ for m in path[: path.index(module)] if m is not root]
        raise errors.import_cycle(cycle, lead)
    path.append(module)
    for imported in getattr(module, "imports", None) or []:
        _visit(replaced.get(imported, imported), root, replaced, path, done)
    path.pop()
    done.add(module)


def check_overrides(
    topology: Topology, plan: Plan, applied: set[Hashable], replaced_modules: set[type]
) -> None:
    """Every replaced token was found in the graph and every replaced module is imported."""
    missing = [token for token in plan.replacements if token not in applied]
    if missing:
        raise errors.unknown_overrides(missing, topology)
    unused = [module for module in plan.modules if module not in replaced_modules]
    if unused:
        raise errors.unused_module_overrides(unused, topology)


def check_auto_mock(topology: Topology, plan: Plan) -> None:
    """Every token in `use_auto_mock(exclude=[...])` is provided (as a token, or as the
    class of a `useClass` provider)."""
    if plan.auto_mock is None:
        return
    classes = {d.use_class for found in topology.descriptors.values() for d in found}
    unknown = [
        token
        for token in plan.auto_mock.exclude
        if token not in topology.descriptors and token not in classes
    ]
    if unknown:
        raise errors.unknown_auto_mock_excludes(unknown, topology)


def check_module_overrides(
    topology: Topology, plan: Plan, importers: Mapping[type, set[type]]
) -> None:
    """A replacement module may export less than the module it replaces (as in NestJS),
    unless a provider or controller of a module that imported the original injects a
    token it no longer sees. (Only this check knows the importers of the original: once
    replaced, PyNest's own checks see the replacement alone, and a lost class would be
    built implicitly.)"""
    for old, new in plan.modules.items():
        new_ref = topology.ref_of(new)
        kept = topology.exported_by(new_ref) if new_ref is not None else set()
        lost = {t for t in exported_tokens(old) if t not in kept}
        if not lost:
            continue
        offenders: list[tuple[tuple[str, ...], Hashable]] = []
        for ref in _affected(topology, old, importers.get(old, set())):
            visible = topology.visible_from(ref)
            consumers = [(d.provide, injected_by(d)) for d in ref.compiled.provider_descriptors]
            consumers += [(c, injected_by_controller(c)) for c in ref.compiled.controllers]
            for consumer, dependencies in consumers:
                for dependency in dict.fromkeys(dependencies):
                    if dependency in lost and dependency not in visible:
                        path = (*topology.path_of(ref), token_name(consumer))
                        offenders.append((path, dependency))
        if offenders:
            raise errors.lost_exports(old, new, offenders)


def _affected(topology: Topology, old: type, importers: set[type]) -> list[ModuleRef]:
    """The modules that saw what `old` exports: its importers, the importers of those
    that re-export it, and, when `old` is global, every module."""
    if getattr(old, "__is_global__", False):
        return list(topology.refs)
    affected = set(importers)
    queue = list(importers)
    while queue:
        module = queue.pop()
        if old not in (getattr(module, "exports", None) or []):
            continue  # it does not pass old's exports on
        for ref in topology.refs:
            if module in ref.compiled.imports and ref.metatype not in affected:
                affected.add(ref.metatype)
                queue.append(ref.metatype)
    return [ref for ref in topology.refs if ref.metatype in affected]


def refuse_unknown_exports(topology: Topology) -> None:
    """Strict mode: every export is the module's own provider, a token one of its
    imports exports, or a module it imports (NestJS refuses anything else with
    `UnknownExportException`; PyNest accepts it, and an importer injecting the token
    then fails far from the cause, or gets an implicit instance)."""
    by_class = {ref.metatype: ref for ref in topology.refs}
    unknown: list[tuple[ModuleRef, object]] = []
    for ref in topology.refs:
        own = {d.provide for d in ref.compiled.provider_descriptors}
        imported = [by_class[m] for m in ref.compiled.imports if m in by_class]
        from_imports = set().union(*(topology.exported_by(child) for child in imported))
        for export in ref.compiled.exports:
            if getattr(export, "__is_module__", False):
                if export not in ref.compiled.imports:
                    unknown.append((ref, export))
                continue
            try:
                known = export in own or export in from_imports
            except TypeError:  # an unhashable export can be provided by no module
                known = False
            if not known:
                unknown.append((ref, export))
    if unknown:
        raise errors.unknown_exports(unknown, topology)


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
