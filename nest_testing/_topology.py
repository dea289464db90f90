"""Where everything sits in a registered module graph: paths, owners, visibility.

A `Topology` is computed once, after PyNest registered every module of a testing
module, and never changes: the container, the graph, the error texts and
`module.select()` query it. It reads PyNest's `ModuleRef`s and holds no instance;
it must not build, bind or validate anything (that is the container's and
`nest_testing._checks`'s job).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from nest.common.module import CompiledModule
from nest.common.provider import ProviderDescriptor
from nest.core.pynest_container import ModuleRef

from nest_testing._blueprints import BLUEPRINTS


def is_testing_root(ref: ModuleRef) -> bool:
    """Whether `ref` is the synthetic root module a builder makes per testing module."""
    return bool(getattr(ref.metatype, "__nest_testing_root__", False))


@dataclass(frozen=True)
class Topology:
    """The registered modules of one testing module, and where each token lives.

    Example:
        ```python
        topology = Topology.of(container.modules.values(), root_ref)
        topology.owner_path(Logger)  # ('AppModule', 'CoreModule')
        ```
    """

    root: ModuleRef
    refs: tuple[ModuleRef, ...]
    """Every module, in PyNest's registration order (imports before importers)."""
    by_depth: tuple[ModuleRef, ...]
    """Every module, nearest the root first."""
    paths: Mapping[str, tuple[str, ...]]
    """Module token -> names from the root (the synthetic root left out)."""
    owners: Mapping[Hashable, ModuleRef]
    """Token -> the module nearest the root that provides it or declares it a controller."""
    descriptors: Mapping[Hashable, tuple[ProviderDescriptor, ...]]
    """Token -> every descriptor that provides it, in registration order."""
    controllers: frozenset[Hashable]
    names: Mapping[type, str]
    """Module class -> the name messages and the graph use: the class name, qualified
    by its Python module where two module classes of the graph share a name."""

    @classmethod
    def of(cls, refs: Iterable[ModuleRef], root: ModuleRef) -> Topology:
        """The topology of registered modules, seen from `root`."""
        ordered = tuple(refs)
        names = _display_names(ref.metatype for ref in ordered)
        paths = _module_paths(ordered, root, names)
        by_depth = tuple(sorted(ordered, key=lambda ref: len(paths.get(ref.token, ()))))
        owners: dict[Hashable, ModuleRef] = {}
        for ref in by_depth:
            for descriptor in ref.compiled.provider_descriptors:
                owners.setdefault(descriptor.provide, ref)
            for controller in ref.compiled.controllers:
                owners.setdefault(controller, ref)
        descriptors: dict[Hashable, tuple[ProviderDescriptor, ...]] = {}
        controllers: set[Hashable] = set()
        for ref in ordered:
            compiled = ref.compiled
            here = BLUEPRINTS.derived(compiled, "descriptors", partial(_by_token, compiled))
            if descriptors.keys().isdisjoint(here):  # most modules: merged in C
                descriptors.update(here)
            else:
                for token, found in here.items():
                    before = descriptors.get(token)
                    descriptors[token] = found if before is None else (*before, *found)
            controllers.update(compiled.controllers)
        return cls(
            root=root,
            refs=ordered,
            by_depth=by_depth,
            paths=paths,
            owners=owners,
            descriptors=descriptors,
            controllers=frozenset(controllers),
            names=names,
        )

    def name_of(self, ref: ModuleRef) -> str:
        """The module's name in messages and the graph (see `names`)."""
        return self.names.get(ref.metatype, ref.name)

    @property
    def known_tokens(self) -> set[Hashable]:
        """Every token a module provides, and every controller."""
        return {*self.descriptors, *self.controllers}

    def path_of(self, ref: ModuleRef) -> tuple[str, ...]:
        """Module names from the testing root to `ref` (the root is left out when it is
        the synthetic testing root, so paths start at the user's `AppModule`)."""
        return self.paths.get(ref.token, (self.name_of(ref),))

    @property
    def root_path(self) -> tuple[str, ...]:
        return self.path_of(self.root)

    def owner_of(self, token: object) -> ModuleRef | None:
        """The module nearest the root that provides `token` (or declares it as a
        controller)."""
        try:
            return self.owners.get(token)
        except TypeError:  # an unhashable token is provided by no module
            return None

    def owner_path(self, token: object) -> tuple[str, ...]:
        """The path to the module that owns `token` (the root's, for unknown tokens)."""
        ref = self.owner_of(token)
        return self.path_of(ref) if ref is not None else self.root_path

    def module_name_of(self, token: Hashable) -> str:
        """Where a fix for `token`'s dependencies goes: its module, by name."""
        owner = self.owner_of(token)
        if owner is None or is_testing_root(owner):
            return "the testing module"
        return self.name_of(owner)

    def ref_of(self, module: type) -> ModuleRef | None:
        """The registered module for a module class, if it is in the graph."""
        return next((ref for ref in self.refs if ref.metatype is module), None)

    def ref_named(self, name: str) -> ModuleRef | None:
        """The module nearest the root with this class name (as PyNest's messages name
        modules)."""
        return next((ref for ref in self.by_depth if ref.name == name), None)

    def owner_of_class_named(self, class_name: str) -> ModuleRef | None:
        """The module nearest the root providing a class of this name (PyNest's cycle
        message names classes only)."""
        for ref in self.by_depth:
            for descriptor in ref.compiled.provider_descriptors:
                provided: Any = descriptor.use_class
                if provided is not None and provided.__name__ == class_name:
                    return ref
        return None

    def exported_by(self, ref: ModuleRef) -> set[Hashable]:
        """What `ref` exposes to its importers, following re-exported modules (as
        PyNest resolves exports for encapsulation)."""
        by_class = {r.metatype: r for r in self.refs}

        def exported(module: ModuleRef, seen: frozenset[str]) -> set[Hashable]:
            tokens: set[Hashable] = set()
            for export in module.compiled.exports:
                child = by_class.get(export) if getattr(export, "__is_module__", False) else None
                if child is None:
                    tokens.add(export)
                elif child.token not in seen:
                    tokens |= exported(child, seen | {child.token})
            return tokens

        return exported(ref, frozenset({ref.token}))

    def visible_from(self, ref: ModuleRef) -> set[Hashable]:
        """What `ref` may inject: its own providers and controllers, what its imports
        export (following re-exported modules), and global providers. PyNest computes
        the same sets inside `validate_module_encapsulation` but does not expose them."""
        by_class = {r.metatype: r for r in self.refs}
        visible: set[Hashable] = {d.provide for d in ref.compiled.provider_descriptors}
        visible.update(ref.compiled.controllers)
        for imported in ref.compiled.imports:
            child = by_class.get(imported)
            if child is not None:
                visible |= self.exported_by(child)
        for module in self.refs:
            if getattr(module.metatype, "__is_global__", False):
                visible.update(d.provide for d in module.compiled.provider_descriptors)
        return visible


def _display_names(modules: Iterable[type]) -> dict[type, str]:
    """Class names, qualified (`package.module.Name`) where two classes share one, and
    numbered where even that is shared (classes made in a loop)."""
    classes = list(dict.fromkeys(modules))
    by_name: dict[str, list[type]] = {}
    for cls in classes:
        by_name.setdefault(cls.__name__, []).append(cls)
    names: dict[type, str] = {}
    for name, same in by_name.items():
        if len(same) == 1:
            names[same[0]] = name
            continue
        qualified = [f"{cls.__module__}.{cls.__qualname__}" for cls in same]
        for index, (cls, full) in enumerate(zip(same, qualified, strict=True)):
            names[cls] = full if qualified.count(full) == 1 else f"{full}#{index + 1}"
    return names


def _module_paths(
    refs: tuple[ModuleRef, ...], root: ModuleRef, names: Mapping[type, str]
) -> dict[str, tuple[str, ...]]:
    by_class = {ref.metatype: ref for ref in refs}
    paths: dict[str, tuple[str, ...]] = {
        root.token: () if is_testing_root(root) else (names[root.metatype],)
    }
    queue = deque([root])
    while queue:
        ref = queue.popleft()
        for imported in ref.compiled.imports:
            child = by_class.get(imported)
            if child is not None and child.token not in paths:
                paths[child.token] = (*paths[ref.token], names[child.metatype])
                queue.append(child)
    return paths


def _by_token(compiled: CompiledModule) -> dict[Hashable, tuple[ProviderDescriptor, ...]]:
    """A module's descriptors by token, in declaration order (kept with a kept compile:
    the same tuples in every compile of it)."""
    found: dict[Hashable, tuple[ProviderDescriptor, ...]] = {}
    for descriptor in compiled.provider_descriptors:
        token = descriptor.provide
        before = found.get(token)
        found[token] = (descriptor,) if before is None else (*before, descriptor)
    return found
