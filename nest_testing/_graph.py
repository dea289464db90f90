"""The dependency graph of a testing module: modules, providers, who needs whom.

`module.graph` and the strict-mode check read it; `to_mermaid()` draws it. It is
computed from the registered modules (PyNest's compiled descriptors and the injector's
own reading of constructors) and must never build or bind anything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from injector import Binder, Injector, get_bindings
from nest.common.provider import ProviderDescriptor, Scope
from nest.core.pynest_container import ModuleRef

from nest_testing._tokens import token_name
from nest_testing._topology import is_testing_root
from nest_testing.errors import UnknownTokenError


@dataclass(frozen=True)
class GraphNode:
    """A provider or controller in the graph.

    `kind` is `"provider"`, `"controller"`, `"implicit"` (a class no module
    registers, which the injector builds on demand) or `"mocker"` (a token no module
    registers, supplied by `use_mocker`); `status` is `"real"`, `"overridden"`,
    `"mocked"` or `"spied"`; `module` is the owning module's name (`None` for
    implicit and mocker-supplied tokens).

    `scope` is the scope PyNest gives the provider: the `scope` of a
    `{"provide": ..., "useClass": ..., "scope": ...}` entry; `Scope.SINGLETON` for a
    bare class in `providers=[...]` (PyNest ignores `@Injectable(scope=...)`), for
    controllers and for values, factories, aliases and doubles (one object is bound);
    `Scope.TRANSIENT` for an implicit class (a new one per consumer). PyNest builds a
    `REQUEST` provider anew for every injection, as a `TRANSIENT` one.

    Example:
        ```python
        node = module.graph.node(Logger)
        assert (node.kind, node.module, node.status) == ("provider", "CoreModule", "real")
        assert node.scope is Scope.SINGLETON
        ```
    """

    token: Hashable
    name: str
    kind: str
    module: str | None
    status: str = "real"
    scope: Scope = Scope.SINGLETON


@dataclass(frozen=True)
class ModuleGraph:
    """`module.graph`: what the testing module is made of.

    Example:
        ```python
        graph = module.graph
        assert graph.node(Logger).module == "CoreModule"
        assert ItemService in graph.dependents(Logger)
        assert graph.node(EmailService).status == "mocked"
        print(graph.to_mermaid())
        ```
    """

    modules: Mapping[str, tuple[str, ...]]
    """Each module's name -> the names of the modules it imports."""
    nodes: Mapping[Hashable, GraphNode]
    """Each token -> its node."""
    edges: tuple[tuple[Hashable, Hashable], ...] = field(default=())
    """`(consumer, dependency)` pairs: constructor parameters, factory `inject`
    lists and `useExisting` aliases."""

    def node(self, token: Hashable) -> GraphNode:
        """The node for `token`."""
        try:
            return self.nodes[token]
        except KeyError:
            raise UnknownTokenError(
                f"{token_name(token)} is not in this testing module's graph.", token=token
            ) from None

    def dependencies(self, token: Hashable) -> list[Hashable]:
        """What `token` injects."""
        self.node(token)
        return [dependency for consumer, dependency in self.edges if consumer == token]

    def dependents(self, token: Hashable) -> list[Hashable]:
        """Who injects `token`."""
        self.node(token)
        return [consumer for consumer, dependency in self.edges if dependency == token]

    def to_mermaid(self) -> str:
        """A Mermaid flowchart: one box per module holding its providers and controllers,
        an arrow from each consumer to what it injects, doubles and overrides marked."""
        ids = {token: f"n{index}" for index, token in enumerate(self.nodes)}
        lines = ["flowchart LR"]
        by_module: dict[str | None, list[GraphNode]] = {}
        for node in self.nodes.values():
            by_module.setdefault(node.module, []).append(node)
        for index, module in enumerate(self.modules):
            lines.append(f'  subgraph m{index}["{_escape(module)}"]')
            lines.extend(f"    {ids[n.token]}{_shape(n)}" for n in by_module.get(module, []))
            lines.append("  end")
        lines.extend(f"  {ids[n.token]}{_shape(n)}" for n in by_module.get(None, []))
        names = list(self.modules)
        for module, imports in self.modules.items():
            lines.extend(
                f"  m{names.index(module)} -. imports .-> m{names.index(i)}"
                for i in imports
                if i in self.modules
            )
        lines.extend(f"  {ids[c]} --> {ids[d]}" for c, d in self.edges if c in ids and d in ids)
        for status, style in _STYLES.items():
            marked = [ids[n.token] for n in self.nodes.values() if n.status == status]
            if marked:
                lines.append(f"  classDef {status} {style}")
                lines.append(f"  class {','.join(marked)} {status}")
        if any(n.kind == "implicit" for n in self.nodes.values()):  # drawn with :::implicit
            lines.append(f"  classDef implicit {_STYLES['implicit']}")
        return "\n".join(lines) + "\n"


_STYLES = {
    "overridden": "fill:#fff3cd,stroke:#b58900",
    "mocked": "fill:#e2e3ff,stroke:#4b4bb5",
    "spied": "fill:#d4f5e9,stroke:#2a8a62",
    "implicit": "fill:#f8d7da,stroke:#b02a37,stroke-dasharray:4",
}


def _escape(text: str) -> str:
    return re.sub(r'["\[\]<>]', "", text)


def _shape(node: GraphNode) -> str:
    label = _escape(node.name)
    if node.status != "real":
        label += f" ({node.status})"
    if node.kind == "implicit":
        label += " (implicit)"
        return f'["{label}"]:::implicit'
    return f'(["{label}"])' if node.kind == "controller" else f'["{label}"]'


def effective_scope(descriptor: ProviderDescriptor) -> Scope:
    """The scope PyNest binds `descriptor` with: only a class provider has one of its
    own; values, factories and aliases are bound to one object."""
    if descriptor.use_class is not None:
        return Scope(descriptor.scope)
    if descriptor.use_value is None and descriptor.use_factory is descriptor.use_existing is None:
        return Scope.TRANSIENT  # useValue None: PyNest drops it, the class is built implicitly
    return Scope.SINGLETON


def build_graph(
    refs: Iterable[ModuleRef],
    statuses: Mapping[Hashable, str],
    names: Mapping[type, str],
    supplied: Iterable[Hashable] = (),
) -> ModuleGraph:
    """The graph of registered modules (no instance is built); `statuses` marks the
    replaced tokens (`"overridden"`, `"mocked"`, `"spied"`), `names` names each
    module class (qualified where two share a name); `supplied` are the tokens
    `use_mocker` answered for."""
    modules: dict[str, tuple[str, ...]] = {}
    nodes: dict[Hashable, GraphNode] = {}
    edges: list[tuple[Hashable, Hashable]] = []
    bound: dict[Hashable, ProviderDescriptor] = {}  # the last descriptor wins, as PyNest binds
    for ref in refs:
        if is_testing_root(ref) and not (
            ref.compiled.provider_descriptors or ref.compiled.controllers
        ):
            continue
        name = names.get(ref.metatype, ref.name)
        modules[name] = tuple(names.get(m, m.__name__) for m in ref.compiled.imports)
        for descriptor in ref.compiled.provider_descriptors:
            token = descriptor.provide
            bound[token] = descriptor
            nodes.setdefault(
                token,
                GraphNode(token, token_name(token), "provider", name, statuses.get(token, "real")),
            )
            edges.extend((token, d) for d in injected_by(descriptor))
        for controller in ref.compiled.controllers:
            nodes.setdefault(
                controller, GraphNode(controller, token_name(controller), "controller", name)
            )
            edges.extend((controller, d) for d in _injected(controller))
    for token, descriptor in bound.items():
        nodes[token] = dataclasses.replace(nodes[token], scope=effective_scope(descriptor))
    for token in supplied:  # what the mocker answered needs nothing further
        if token not in nodes:
            nodes[token] = GraphNode(token, token_name(token), "mocker", None, "mocked")
    # Classes injected but registered nowhere: built implicitly, shown as such.
    pending = [d for _, d in edges if d not in nodes]
    while pending:
        dependency = pending.pop()
        if dependency in nodes or not isinstance(dependency, type):
            continue
        nodes[dependency] = GraphNode(
            dependency,
            token_name(dependency),
            "implicit",
            None,
            statuses.get(dependency, "real"),
            Scope.TRANSIENT,
        )
        injected = _injected(dependency)
        edges.extend((dependency, d) for d in injected)
        pending.extend(injected)
    unique_edges = tuple(dict.fromkeys(e for e in edges if e[1] in nodes))
    return ModuleGraph(modules=modules, nodes=nodes, edges=unique_edges)


def injected_by(descriptor: ProviderDescriptor) -> list[Hashable]:
    """What a provider injects: constructor parameters, a factory's `inject` list, the
    target of an alias (`useExisting`)."""
    found = list(_injected(descriptor.use_class)) if descriptor.use_class is not None else []
    found.extend(descriptor.inject or ())
    if descriptor.use_existing is not None:
        found.append(descriptor.use_existing)
    return found


def injected_by_controller(controller: type) -> list[Hashable]:
    """What a controller's constructor injects."""
    return _injected(controller)


def _injected(cls: type) -> list[Hashable]:
    """What the injector passes to `cls`'s constructor (injector's own reading)."""
    init = cls.__init__  # type: ignore[misc]  # the class's own constructor, as injector reads it
    return [
        dependency
        for dependency in get_bindings(init).values()
        if dependency not in (Injector, Binder)
    ]
