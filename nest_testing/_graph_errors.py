"""The texts of errors about the module graph and its lifecycle, in one place.

Each function takes what went wrong (tokens, modules, PyNest's own exception) and the
`Topology` for paths, and returns the error to raise,
ready for a user at 2 a.m.: the path through the module graph, what is wrong, the fix.
Nothing here decides *whether* something is wrong (see `nest_testing._checks`,
the container and the testing module); nothing here raises.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Sequence

from nest.common.exceptions import CircularDependencyException, ProviderNotExportedException
from nest.core.pynest_container import ModuleRef

from nest_testing._tokens import did_you_mean, token_name
from nest_testing._topology import Topology, is_testing_root
from nest_testing.errors import (
    CircularDependencyError,
    EncapsulationError,
    ImplicitProviderError,
    LifecycleHookError,
    ModuleOverrideError,
    UnknownExportError,
    UnknownOverrideError,
    UnknownTokenError,
)

_VIOLATION = re.compile(r"✗ (\S+) \(in module (\S+)\) depends on ([^,\n]+),")


def import_cycle(cycle: Sequence[str], lead: Sequence[str]) -> CircularDependencyError:
    """Modules that import each other (PyNest would recurse until Python gives up)."""
    return CircularDependencyError(
        f"Circular module imports: {' -> '.join(cycle)}. PyNest registers each "
        "module's imports before the module itself, so modules cannot import "
        "each other: move what they share into a module both import.",
        path=(*lead, *cycle),
    )


def circular_dependency(
    exc: CircularDependencyException, topology: Topology
) -> CircularDependencyError:
    """PyNest's provider cycle, with the path from the root to where it starts."""
    names = str(exc).split(": ", 1)[-1].split(" → ")
    owner = topology.owner_of_class_named(names[0])
    path = (*(topology.path_of(owner) if owner else topology.root_path), *names)
    return CircularDependencyError(
        f"Circular dependency: {' -> '.join(path)}. Break the cycle, e.g. by moving the "
        "shared part into a provider both depend on.",
        path=path,
    )


def encapsulation(exc: ProviderNotExportedException, topology: Topology) -> EncapsulationError:
    """PyNest's encapsulation violation, headed by the path to the consumer."""
    text = str(exc)
    match = _VIOLATION.search(text)
    path: tuple[str, ...] = ()
    headline = "Module encapsulation violation"
    if match is not None:
        consumer, module_name, dependency = match.groups()
        module = topology.ref_named(module_name)
        path = (*(topology.path_of(module) if module else (module_name,)), consumer, dependency)
        viewer = module_name
        if module is not None:
            viewer = _TESTING_MODULE if is_testing_root(module) else topology.name_of(module)
            text = _without_done_steps(text, module, topology)
        headline = (
            f"{' -> '.join(path)}: {dependency} is not visible to {viewer} "
            "(not its own provider, not exported by a module it imports, not global)"
        )
    return EncapsulationError(f"{headline}.\n\n{text}", path=path)


_TESTING_MODULE = "the testing module (Test.create_testing_module(...))"
_FIX_BOTH = re.compile(
    r"To fix, do BOTH:\n\s*1\. add 'imports=\[(\w+)\]'\s+to (\w+)\n\s*2\. (add 'exports=.*)"
)


def _without_done_steps(text: str, module: ModuleRef, topology: Topology) -> str:
    """PyNest's text, with the synthetic root called what the user built, and without
    its advice to add an import the module already has."""
    imported = {m.__name__ for m in module.compiled.imports}

    def one_step(found: re.Match[str]) -> str:
        if found.group(1) not in imported:
            return found.group(0)
        return f"To fix ({found.group(1)} is imported already): {found.group(3)}"

    text = _FIX_BOTH.sub(one_step, text)
    if is_testing_root(module):
        name = module.name
        text = text.replace(f"(in module {name})", "(in the testing module)")
        text = text.replace(f"into {name}", "into the testing module's providers=[...]")
        text = text.replace(f"to {name}", "to the testing module")
    return text


def unknown_overrides(tokens: Sequence[Hashable], topology: Topology) -> UnknownOverrideError:
    """Overrides, mocks or spies of tokens no module provides."""
    searched = [
        "the testing module itself" if is_testing_root(ref) else topology.name_of(ref)
        for ref in topology.by_depth
        if not is_testing_root(ref) or ref.compiled.provider_descriptors
    ]
    lines = []
    for token in tokens:
        owner = topology.owner_of(token)
        if owner is not None:  # known, but not as a provider: a controller
            lines.append(
                f"  {token_name(token)} is a controller of {topology.name_of(owner)}; "
                "controllers are "
                "built from their class and cannot be overridden. Override the providers "
                "it injects instead."
            )
        else:
            lines.append(
                f"  {token_name(token)}: no module in this testing module provides it."
                + did_you_mean(token, topology.descriptors)
            )
    return UnknownOverrideError(
        "Cannot override what the graph does not provide:\n"
        + "\n".join(lines)
        + f"\nModules searched: {', '.join(searched) or 'none'}.\n"
        "Override the token a module lists in providers=[...] (the 'provide' key for "
        "dict providers), or add the provider with providers=[...] on the testing module.",
        token=tokens[0],
    )


def unknown_auto_mock_excludes(
    tokens: Sequence[Hashable], topology: Topology
) -> UnknownOverrideError:
    """`use_auto_mock(exclude=[...])` names what no module provides."""
    names = ", ".join(token_name(t) for t in tokens)
    return UnknownOverrideError(
        f"use_auto_mock(exclude=[{names}]): no module in this testing module provides "
        f"{names}.{did_you_mean(tokens[0], topology.descriptors)} Exclude the token a module "
        "lists in providers=[...] (or the class of a useClass provider).",
        token=tokens[0],
    )


def unused_module_overrides(unused: Sequence[type], topology: Topology) -> UnknownOverrideError:
    """`override_module` of modules nothing imports."""
    names = ", ".join(m.__name__ for m in unused)
    imported = [ref.metatype for ref in topology.refs]
    return UnknownOverrideError(
        f"override_module({names}): no module in this testing module imports it."
        f"{did_you_mean(unused[0], imported)} Modules in the graph: "
        + ", ".join(topology.name_of(r) for r in topology.by_depth if not is_testing_root(r)),
        token=unused[0],
    )


def lost_exports(
    old: type, new: type, offenders: Sequence[tuple[tuple[str, ...], Hashable]]
) -> ModuleOverrideError:
    """A replacement module that no longer exports what consumers of the original inject.

    `offenders` holds `(path to the consumer, the token it injects)`.
    """
    lost = list(dict.fromkeys(token for _, token in offenders))
    names = ", ".join(token_name(t) for t in lost)
    lines = [f"  {' -> '.join(path)} injects {token_name(token)}" for path, token in offenders]
    return ModuleOverrideError(
        f"override_module({old.__name__}, {new.__name__}): {new.__name__} does not export "
        f"{names}, which {old.__name__} exports and these consumers inject:\n"
        + "\n".join(lines)
        + f"\nAdd {'them' if len(lost) > 1 else 'it'} to exports=[...] of {new.__name__} "
        "(or override the consumers as well).",
        path=offenders[0][0],
        token=lost[0],
    )


def unknown_exports(
    unknown: Sequence[tuple[ModuleRef, object]], topology: Topology
) -> UnknownExportError:
    """Strict mode: modules that export what they neither provide nor import."""
    lines = []
    for ref, export in unknown:
        module = "the testing module" if is_testing_root(ref) else ref.name
        where = " -> ".join(topology.path_of(ref)) or module
        name = token_name(export)
        if getattr(export, "__is_module__", False):
            lines.append(
                f"  {where}: exports the module {name}, which {module} does not import. "
                f"Add {name} to imports=[...] of {module}, or remove it from exports=[...]."
            )
        else:
            lines.append(
                f"  {where}: exports {name}, which {module} neither provides nor imports "
                f"from a module that exports it. Add {name} to providers=[...] of {module}, "
                "import the module that exports it, or remove it from exports=[...]."
            )
    first, export = unknown[0]
    return UnknownExportError(
        "strict(): modules export what they do not have (PyNest accepts this; an importer "
        "that injects the token fails far from here, or gets an implicit instance):\n"
        + "\n".join(lines),
        path=(*topology.path_of(first), token_name(export)),
        token=export if isinstance(export, Hashable) else None,
    )


def implicit_providers(
    missing: Sequence[tuple[tuple[str, ...], str, Hashable]],
) -> ImplicitProviderError:
    """Strict mode: every class the injector would build implicitly, with its fix.

    `missing` holds `(path to the consumer, module to fix, dependency)`.
    """
    lines = []
    for path, module, dependency in missing:
        name = token_name(dependency)
        lines.append(
            f"  {' -> '.join((*path, name))}: add {name} to providers=[...] of {module} "
            "(or import a module that exports it)."
        )
    first_path, _, first_dependency = missing[0]
    names = ", ".join(dict.fromkeys(token_name(d) for _, _, d in missing))
    return ImplicitProviderError(
        f"strict(): {names} would be built implicitly by the injector: no module "
        "registers them, so each consumer would get its own unscoped instance.\n"
        + "\n".join(lines),
        path=(*first_path, token_name(first_dependency)),
        token=first_dependency,
    )


def unknown_token(
    token: object, known: Collection[Hashable], *, mocker: bool = False
) -> UnknownTokenError:
    """A lookup of a token no module registers (and the mocker, if any, did not supply)."""
    name = token_name(token)
    if mocker:
        why = (
            f" use_mocker() was not asked for {name}: the mocker fills only what a provider "
            f"or controller of the graph injects, and nothing injects {name}. Register it in "
            "providers=[...], or look up the provider that needs it."
        )
    else:
        why = (
            " (A class that is not registered is built implicitly by the injector, a new "
            "one for every consumer; register it in providers=[...] to get one shared "
            "instance.)"
        )
    return UnknownTokenError(
        f"No module of this testing module registers {name}.{did_you_mean(token, known)}{why}",
        token=token,
    )


def not_visible(
    token: object, ref: ModuleRef, owner: ModuleRef, topology: Topology
) -> EncapsulationError:
    """`select(Module).get(token)` of a token that module may not inject."""
    path = (*topology.path_of(ref), token_name(token))
    viewer, provider = topology.name_of(ref), topology.name_of(owner)
    return EncapsulationError(
        f"{' -> '.join(path)}: {token_name(token)} is not visible to {viewer}. It "
        f"is provided by {provider}; {viewer} sees it only if it imports "
        f"{provider} and {provider} exports {token_name(token)} (or {provider} is "
        "global).",
        path=path,
        token=token,
    )


def _hook_path(owner: tuple[str, ...], method_name: str) -> tuple[str, ...]:
    """The path to a hook: its receiver's path, the last name suffixed with the method."""
    return (*owner[:-1], f"{owner[-1]}.{method_name}")


def hook_failed(owner: tuple[str, ...], method_name: str, exc: Exception) -> LifecycleHookError:
    """A lifecycle hook that raised, named after the provider (path) that received it."""
    path = _hook_path(owner, method_name)
    error = LifecycleHookError(f"{' -> '.join(path)}: {exc!r}", path=path, token=None)
    error.__cause__ = exc
    return error


def hook_timed_out(owner: tuple[str, ...], method_name: str, timeout: float) -> LifecycleHookError:
    """A hook that did not return within the hook timeout."""
    path = _hook_path(owner, method_name)
    return LifecycleHookError(
        f"{' -> '.join(path)}: did not return within {timeout:g} s (the hook timeout) and "
        "was cancelled. If it is meant to take that long, raise the limit with "
        "builder.hook_timeout(seconds) (or nest_hook_timeout in the pytest ini); None "
        "waits forever.",
        path=path,
    )


def hook_blocked(owner: tuple[str, ...], method_name: str, timeout: float) -> LifecycleHookError:
    """A hook that blocks the module's event loop past the hook timeout."""
    path = _hook_path(owner, method_name)
    return LifecycleHookError(
        f"{' -> '.join(path)}: has not returned after {timeout:g} s (the hook timeout) and "
        "blocks the module's event loop, so it cannot be cancelled (a sync hook that "
        "never returns, or time.sleep / blocking I/O inside an async hook). The module's "
        "loop thread was abandoned: providers that had started were not shut down. Make "
        "the hook return, or run blocking work with anyio.to_thread.run_sync.",
        path=path,
    )


def shutdown_failed(errors: Sequence[LifecycleHookError]) -> LifecycleHookError:
    """Several shutdown hooks raised: one error listing them all."""
    error = LifecycleHookError(
        f"{len(errors)} shutdown hooks raised (all hooks ran):\n"
        + "\n".join(f"  {error}" for error in errors),
        path=errors[0].path,
    )
    error.__cause__ = errors[0].__cause__
    return error
