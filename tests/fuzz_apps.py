"""Whole PyNest apps, generated at run time, for the differential fuzz tests.

A hypothesis strategy draws a :class:`Scenario`: plain data describing 1-8 ``@Module``
classes (imports, acyclic or cyclic; exports, re-exports, ``is_global``), their
providers of every kind (a bare class, ``useClass``, ``useValue``, ``useFactory`` with
``inject``, ``useExisting``) under class, ``InjectionToken`` and string tokens,
constructor dependencies that are satisfied, missing, cyclic or cross an unexported
boundary, constructors / factories / ``on_module_init`` hooks that raise, an optional
controller with a GET route per module, and random overrides (values, ``None`` and falsy
values included, or classes; unknown tokens included).

:func:`build` turns a scenario into real classes, made with ``type()`` and decorated with
PyNest's own decorators; each class has a real ``__init__`` with annotated parameters
(compiled without ``from __future__ import annotations``), and stores its dependencies on
``self`` as ``d0``, ``d1``, ... so a test can see what each consumer received.

A scenario is drawn in one of two modes. *Clean* apps are built to compile: every
dependency points at a provider registered earlier (in PyNest's registration order) that
the consumer's module can see, and nothing raises. *Free* apps enable some fault families
(structure: orphan modules, import cycles, foreign exports; wild dependencies: cycles and
encapsulation violations; missing tokens and ``useValue: None``; classes no injector can
build; raising constructors, factories and hooks), so every kind of failure gets to be
the first one.

Importing this module registers the hypothesis profiles ``default`` (100 examples) and
``thorough`` (1000 examples); ``HYPOTHESIS_PROFILE=thorough`` selects one, as does
hypothesis' own ``--hypothesis-profile=thorough``, which needs the profiles registered
before pytest configures: ``tests/conftest.py`` imports this module for that.
"""

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from nest.common.provider import InjectionToken, Scope
from nest.core.decorators.controller import Controller
from nest.core.decorators.http_method import Get
from nest.core.decorators.injectable import Injectable
from nest.core.decorators.module import Module

# ── hypothesis profiles ─────────────────────────────────────────────────────────

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
if settings.get_current_profile_name() == "default" and os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

HOOKS = ("on_module_init", "on_application_shutdown")

# ── the plain-data description of an app ────────────────────────────────────────


@dataclass(frozen=True)
class Tok:
    """A token: ``kind`` is ``"cls"`` (a generated class), ``"itok"`` (an
    ``InjectionToken``) or ``"str"`` (a string token)."""

    kind: str
    name: str

    def __repr__(self) -> str:
        if self.kind == "cls":
            return self.name
        if self.kind == "itok":
            return f"InjectionToken({self.name!r})"
        return repr(self.name)

    def display_names(self) -> set[str]:
        """How a message may render the token."""
        return {self.name, repr(self)}


@dataclass(frozen=True)
class ClassSpec:
    """A generated class: an ``@Injectable`` (or a controller) with a real ``__init__``.

    ``deps`` are class tokens, one annotated parameter each (stored as ``self.d<i>``);
    ``unannotated`` adds a required parameter without annotation, which no injector can
    fill; ``hook`` is ``"none"``, ``"sync"``, ``"async"``, ``"sync-raise"`` or
    ``"async-raise"`` (an ``on_module_init``, plus an ``on_application_shutdown`` that
    records); ``injectable_scope`` is what ``@Injectable(scope=...)`` says.
    """

    name: str
    deps: tuple[Tok, ...] = ()
    raises: bool = False
    hook: str = "none"
    unannotated: bool = False
    injectable_scope: str = "singleton"


@dataclass(frozen=True)
class ProviderSpec:
    """One entry of a module's ``providers=[...]``.

    ``kind``: ``"class"`` (the class itself, bare; or as ``useClass`` of itself when
    ``scope`` is not singleton), ``"use_class"`` (``impl`` under ``token``), ``"value"``,
    ``"factory"`` (``inject``; ``result`` is ``"product"``, ``"none"``, ``"zero"`` or
    ``"empty"``; ``raises``), ``"existing"`` (an alias of ``target``).
    """

    token: Tok
    kind: str
    impl: str | None = None
    scope: str = "singleton"
    value: Any = None
    inject: tuple[Tok, ...] = ()
    raises: bool = False
    result: str = "product"
    target: Tok | None = None


@dataclass(frozen=True)
class ModuleSpec:
    name: str
    imports: tuple[int, ...]
    providers: tuple[ProviderSpec, ...]
    exports: tuple[Tok | int, ...]  # an int re-exports that module
    is_global: bool
    controller: ClassSpec | None


@dataclass(frozen=True)
class OverrideSpec:
    """``override_provider(token, ...)``: a ``value`` or the class named ``cls``; ``form``
    is ``"shorthand"`` (two arguments) or ``"explicit"`` (``.use_value`` /
    ``.use_class``)."""

    token: Tok
    kind: str
    value: Any = None
    cls: str | None = None
    form: str = "shorthand"


@dataclass(frozen=True)
class Scenario:
    modules: tuple[ModuleSpec, ...]
    classes: tuple[ClassSpec, ...]
    overrides: tuple[OverrideSpec, ...]
    clean: bool
    reachable: frozenset[int]
    import_cycle: bool

    @property
    def root(self) -> ModuleSpec:
        return self.modules[0]

    def providers(self) -> list[tuple[int, ProviderSpec]]:
        """Every provider listing of a module in the graph, with its module index."""
        return [
            (index, provider)
            for index, module in enumerate(self.modules)
            if index in self.reachable
            for provider in module.providers
        ]

    def registered(self) -> dict[Tok, list[ProviderSpec]]:
        """Each token provided by a module in the graph -> its listings."""
        tokens: dict[Tok, list[ProviderSpec]] = {}
        for _, provider in self.providers():
            tokens.setdefault(provider.token, []).append(provider)
        return tokens

    def controllers(self) -> list[ClassSpec]:
        return [
            m.controller
            for i, m in enumerate(self.modules)
            if i in self.reachable and m.controller is not None
        ]

    def effective_overrides(self) -> dict[Tok, OverrideSpec]:
        """The last override of each token (the last one wins)."""
        return {o.token: o for o in self.overrides}

    def visible(self) -> dict[int, set[Tok]]:
        """What each module in the graph may inject (providers only), as PyNest's
        ``validate_module_encapsulation`` computes it."""
        return _visibility(
            [m.imports for m in self.modules],
            [{p.token for p in m.providers} for m in self.modules],
            [m.exports for m in self.modules],
            [m.is_global for m in self.modules],
            set(self.reachable),
        )


# ── drawing a scenario ──────────────────────────────────────────────────────────

VALUES: tuple[Any, ...] = (0, 1, "", "value", False, True, (), (1, 2), 0.0, 2.5)
OVERRIDE_VALUES: tuple[Any, ...] = (None, 0, False, "", (), 0.0, 1, "fake", True)


class FakeValue:
    """A value object for overrides and ``useValue`` providers (compared by name)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"FakeValue({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeValue) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def _sometimes(draw: Callable[..., Any], one_in: int) -> bool:
    """True about once in ``one_in`` draws; shrinks towards False (hypothesis also tries
    all-minimal draws often, which must not make every rare event happen at once)."""
    result: bool = draw(st.integers(0, one_in - 1)) == one_in - 1
    return result


def _registration_order(imports: Sequence[Sequence[int]], root: int = 0) -> list[int]:
    """PyNest's ``add_module`` order: depth-first, a module after everything it imports
    (cycles are cut here; PyNest itself recurses forever on them)."""
    order: list[int] = []
    done: set[int] = set()

    def add(module: int, stack: frozenset[int]) -> None:
        if module in done or module in stack:
            return
        for imported in imports[module]:
            add(imported, stack | {module})
        done.add(module)
        order.append(module)

    add(root, frozenset())
    return order


def _has_cycle(imports: Sequence[Sequence[int]], reachable: Iterable[int]) -> bool:
    state: dict[int, int] = {}

    def visit(module: int) -> bool:
        state[module] = 1
        for imported in imports[module]:
            if state.get(imported) == 1 or (imported not in state and visit(imported)):
                return True
        state[module] = 2
        return False

    return any(m not in state and visit(m) for m in reachable)


def _visibility(
    imports: Sequence[Sequence[int]],
    own: Sequence[set[Tok]],
    exports: Sequence[Sequence[Tok | int]],
    is_global: Sequence[bool],
    reachable: set[int],
) -> dict[int, set[Tok]]:
    """What each module may inject, as ``validate_module_encapsulation`` computes it."""

    def exported(module: int, seen: frozenset[int]) -> set[Tok]:
        if module in seen:
            return set()
        tokens: set[Tok] = set()
        for export in exports[module]:
            if isinstance(export, int):
                if export in reachable:
                    tokens |= exported(export, seen | {module})
            else:
                tokens.add(export)
        return tokens

    global_tokens = {t for m in reachable if is_global[m] for t in own[m]}
    return {
        m: own[m] | global_tokens | {t for i in imports[m] for t in exported(i, frozenset())}
        for m in reachable
    }


@st.composite
def scenarios(
    draw: Callable[..., Any],
    *,
    overrides: bool = True,
    none_values: bool = True,
    clean: bool | None = None,
) -> Scenario:
    """A generated app (and, with ``overrides``, 0-4 overrides for it); ``none_values``
    lets the app's own ``useValue`` providers be ``None`` (which PyNest drops); ``clean``
    forces the mode (``False``: at least one fault family is enabled)."""
    # Free apps enable some fault families each, so that every kind of failure gets to
    # be the first one (validation errors would otherwise mask construction errors).
    if clean is None:
        clean = draw(st.booleans())
    families = ("structure", "wild", "missing", "broken", "raises")
    faults = {family: not clean and draw(st.booleans()) for family in families}
    if not clean and not any(faults.values()):
        faults[draw(st.sampled_from(families))] = True
    n: int = draw(st.integers(1, 8))
    classes: dict[str, ClassSpec] = {}
    counter = iter(range(10_000))

    # Imports: a spanning tree from the root, extra forward edges, and (free mode only)
    # orphan modules and back edges.
    imports: list[list[int]] = [[] for _ in range(n)]
    for j in range(1, n):
        if faults["structure"] and _sometimes(draw, 6):
            continue  # an orphan: not in the graph unless a forward edge reaches it
        imports[draw(st.integers(0, j - 1))].append(j)
    for i in range(n - 1):
        imports[i].extend(draw(st.lists(st.integers(i + 1, n - 1), max_size=2)))
    if faults["structure"] and _sometimes(draw, 6):
        i = draw(st.integers(0, n - 1))
        imports[i].append(draw(st.integers(0, i)))
    imports = [sorted(set(edges)) for edges in imports]
    order = _registration_order(imports)
    reachable = set(order)
    import_cycle = _has_cycle(imports, reachable)
    all_order = order + [m for m in range(n) if m not in reachable]

    # Provider skeletons, numbered in registration order.
    skeletons: list[list[tuple[int, str, Tok]]] = [[] for _ in range(n)]
    position: dict[Tok, int] = {}
    for m in all_order:
        for _ in range(draw(st.integers(0, 4))):
            k = next(counter)
            kind = draw(st.sampled_from(["class", "class", "use_class", "value", "factory"]))
            if kind == "factory" and _sometimes(draw, 2):
                kind = "existing"
            token_kind = (
                "cls" if kind == "class" else draw(st.sampled_from(["cls", "itok", "str"]))
            )
            name = {
                "cls": f"Svc{k}" if kind == "class" else f"Base{k}",
                "itok": f"TOK{k}",
                "str": f"str{k}",
            }[token_kind]
            token = Tok(token_kind, name)
            if token_kind == "cls" and kind != "class":
                classes[name] = ClassSpec(name)  # the token class itself, dependency-free
            skeletons[m].append((k, kind, token))
            position[token] = k
    own = [{token for _, _, token in skeletons[m]} for m in range(n)]

    exports: list[list[Tok | int]] = [[] for _ in range(n)]
    for m in range(n):
        for _, _, token in skeletons[m]:
            if draw(st.booleans()):
                exports[m].append(token)
        for imported in imports[m]:
            if _sometimes(draw, 4):
                exports[m].append(imported)
        if faults["structure"] and position and _sometimes(draw, 6):
            exports[m].append(draw(st.sampled_from(sorted(position, key=position.__getitem__))))
    is_global = [_sometimes(draw, 5) for _ in range(n)]
    visible = _visibility(imports, own, exports, is_global, reachable)
    everything = sorted(position, key=position.__getitem__)

    def implicit() -> Tok:
        """An unregistered class (built implicitly by the injector), or, in free mode,
        one no injector can build."""
        broken = faults["broken"] and _sometimes(draw, 2)
        name = f"{'Broken' if broken else 'Auto'}{next(counter)}"
        classes[name] = ClassSpec(name, unannotated=broken)
        return Tok("cls", name)

    def missing() -> Tok:
        return Tok(draw(st.sampled_from(["itok", "str"])), f"missing{next(counter)}")

    def fair(module: int, before: int | None, kind: str | None) -> list[Tok]:
        """Tokens registered earlier (in registration order) that ``module`` can see."""
        return [
            t
            for t in everything
            if (kind is None or t.kind == kind)
            and (before is None or position[t] < before)
            and t in visible.get(module, set())
        ]

    def class_deps(module: int, before: int | None, limit: int = 3) -> tuple[Tok, ...]:
        """Annotated constructor dependencies: in free mode also later tokens (cycles),
        invisible ones (encapsulation) and classes nobody registers."""
        fair_pool = fair(module, before, "cls")
        wild_pool = [t for t in everything if t.kind == "cls"]
        deps: list[Tok] = []
        for _ in range(draw(st.integers(0, limit))):
            roll = draw(st.integers(0, 9))
            if fair_pool and roll < (4 if faults["wild"] else 8):
                deps.append(draw(st.sampled_from(fair_pool)))
            elif faults["wild"] and wild_pool and roll < 8:
                deps.append(draw(st.sampled_from(wild_pool)))
            else:
                deps.append(implicit())
        return tuple(deps)

    def any_dep(module: int, before: int) -> Tok | None:
        """A factory argument or alias target: in free mode also a missing token, or any."""
        fair_pool = fair(module, before, None)
        roll = draw(st.integers(0, 9))
        if fair_pool and roll < (5 if faults["wild"] or faults["missing"] else 10):
            return draw(st.sampled_from(fair_pool))
        if faults["wild"] and everything and roll < 8:
            return draw(st.sampled_from(everything))
        if faults["missing"]:
            return missing()
        return None

    def hook() -> str:
        choices = ["none", "none", "sync", "async"]
        if faults["raises"]:
            choices += ["sync-raise", "async-raise"]
        result: str = draw(st.sampled_from(choices))
        return result

    def raises() -> bool:
        return faults["raises"] and _sometimes(draw, 4)

    def scope() -> str:
        result: str = draw(st.sampled_from(["singleton"] * 3 + ["transient", "request"]))
        return result

    providers: list[list[ProviderSpec]] = [[] for _ in range(n)]
    for m in all_order:
        for k, kind, token in skeletons[m]:
            spec: ProviderSpec
            if kind in ("class", "use_class"):
                impl = token.name if kind == "class" else f"Impl{k}"
                classes[impl] = ClassSpec(
                    impl,
                    deps=class_deps(m, k),
                    raises=raises(),
                    hook=hook(),
                    injectable_scope=(
                        "transient" if kind == "class" and _sometimes(draw, 6) else "singleton"
                    ),
                )
                spec = ProviderSpec(token, kind, impl=impl, scope=scope())
            elif kind == "value":
                pool = VALUES + ((None,) if none_values and faults["missing"] else ())
                value = draw(st.sampled_from(pool))
                if _sometimes(draw, 4):
                    value = FakeValue(f"value{k}")
                spec = ProviderSpec(token, kind, value=value)
            elif kind == "factory":
                inject = tuple(
                    dep
                    for _ in range(draw(st.integers(0, 3)))
                    if (dep := any_dep(m, k)) is not None
                )
                result = draw(st.sampled_from(["product"] * 4 + ["none", "zero", "empty"]))
                spec = ProviderSpec(token, kind, inject=inject, raises=raises(), result=result)
            else:
                target = any_dep(m, k)
                if target is None:  # nothing to alias yet: a plain value instead
                    spec = ProviderSpec(token, "value", value=FakeValue(f"value{k}"))
                else:
                    spec = ProviderSpec(token, kind, target=target)
            providers[m].append(spec)

    # A provider listed in a second module (PyNest: one binding, hooks run twice).
    class_specs = [p for m in reachable for p in providers[m] if p.kind == "class"]
    for m in order:
        if class_specs and _sometimes(draw, 6):
            listed = draw(st.sampled_from(class_specs))
            deps = classes[listed.impl or listed.token.name].deps
            fits = faults["wild"] or all(d in visible[m] or d not in position for d in deps)
            if fits and listed not in providers[m]:
                providers[m].append(listed)

    controllers: list[ClassSpec | None] = []
    for m in range(n):
        if _sometimes(draw, 4):
            name = f"Ctrl{m}"
            controllers.append(ClassSpec(name, deps=class_deps(m, None, 2), raises=raises()))
        else:
            controllers.append(None)

    modules = tuple(
        ModuleSpec(
            name=f"Mod{m}",
            imports=tuple(imports[m]),
            providers=tuple(providers[m]),
            exports=tuple(exports[m]),
            is_global=is_global[m],
            controller=controllers[m],
        )
        for m in range(n)
    )

    drawn_overrides: list[OverrideSpec] = []
    if overrides:
        registered = [t for t in everything if any(t in own[m] for m in reachable)]
        unknown_pool: list[Tok] = [t for t in everything if t not in registered]
        unknown_pool += [Tok("cls", c.name) for c in controllers if c is not None]
        for _ in range(draw(st.integers(0, 4))):
            if registered and not _sometimes(draw, 12):
                token = draw(st.sampled_from(registered))
            elif unknown_pool and draw(st.booleans()):
                token = draw(st.sampled_from(unknown_pool))
            else:
                k = next(counter)
                token = Tok(draw(st.sampled_from(["cls", "itok", "str"])), f"Ghost{k}")
                if token.kind == "cls":
                    classes[token.name] = ClassSpec(token.name)
            form = draw(st.sampled_from(["shorthand", "explicit"]))
            if draw(st.booleans()):
                value = draw(st.sampled_from(OVERRIDE_VALUES))
                if _sometimes(draw, 3):
                    value = FakeValue(f"override{next(counter)}")
                drawn_overrides.append(OverrideSpec(token, "value", value=value, form=form))
            else:
                name = f"Fake{next(counter)}"
                owners = [m for m in reachable if token in own[m]]
                if not faults["wild"] and owners:
                    before = position[token]
                    pool = [
                        t
                        for t in everything
                        if t.kind == "cls"
                        and position[t] < before
                        and all(t in visible[m] for m in owners)
                    ]
                    deps = tuple(
                        draw(st.sampled_from(pool))
                        for _ in range(draw(st.integers(0, 2) if pool else st.just(0)))
                    )
                else:
                    deps = class_deps(owners[0] if owners else 0, None, 2)
                classes[name] = ClassSpec(name, deps=deps, raises=raises(), hook=hook())
                drawn_overrides.append(OverrideSpec(token, "class", cls=name, form=form))

    return Scenario(
        modules=modules,
        classes=tuple(classes.values()),
        overrides=tuple(drawn_overrides),
        clean=clean,
        reachable=frozenset(reachable),
        import_cycle=import_cycle,
    )


# ── building the app ────────────────────────────────────────────────────────────


class Boom(RuntimeError):
    """What generated code raises; ``node`` names the class or factory token."""

    def __init__(self, node: str, where: str) -> None:
        super().__init__(f"boom in {node}.{where}")
        self.node = node
        self.where = where


@dataclass(eq=False)
class FactoryProduct:
    """What a generated factory returns: its name and the arguments it received."""

    name: str
    args: tuple[Any, ...]


@dataclass
class BuiltApp:
    """A scenario made real: fresh classes, modules and tokens."""

    scenario: Scenario
    root: type
    modules: list[type]
    classes: dict[str, type]
    events: list[tuple[str, str]] = field(default_factory=list)

    def token(self, tok: Tok) -> Any:
        if tok.kind == "cls":
            return self.classes[tok.name]
        if tok.kind == "itok":
            return InjectionToken(tok.name)
        return tok.name

    def overrides(self) -> list[tuple[Any, OverrideSpec, Any]]:
        """``(token, spec, replacement)`` for each override, in order."""
        result = []
        for spec in self.scenario.overrides:
            replacement = self.classes[spec.cls] if spec.kind == "class" else spec.value
            result.append((self.token(spec.token), spec, replacement))
        return result

    def names(self) -> set[str]:
        """Every name a graph error may put in its path."""
        names = {m.__name__ for m in self.modules} | set(self.classes)
        for module in self.scenario.modules:
            for provider in module.providers:
                names |= provider.token.display_names()
                for tok in (*provider.inject, *([provider.target] if provider.target else [])):
                    names |= tok.display_names()
        for spec in self.scenario.overrides:
            names |= spec.token.display_names()
        return names

    def boom_names(self, boom: Boom) -> set[str]:
        """The names under which the node that raised ``boom`` may end an error path."""
        names = {boom.node}
        for _, provider in self.scenario.providers():
            if provider.impl == boom.node or provider.token.name == boom.node:
                names |= provider.token.display_names()
        for spec in self.scenario.overrides:
            if spec.cls == boom.node:
                names |= spec.token.display_names()
        if boom.where in HOOKS:
            names = {f"{name}.{boom.where}" for name in names}
        return names


_SCOPES = {"singleton": Scope.SINGLETON, "transient": Scope.TRANSIENT, "request": Scope.REQUEST}


def _make_init(spec: ClassSpec, annotations: dict[str, Any]) -> Callable[..., None]:
    """A real ``def __init__(self, d0, d1, ...)``; annotations are set on it afterwards
    (the classes they name may not all exist when the source is compiled)."""
    params = [f"d{i}" for i in range(len(spec.deps))]
    if spec.unannotated:
        params.append("unannotated")
    lines = [f"def __init__(self{''.join(', ' + p for p in params)}):", "    _enter()"]
    lines += [f"    self.d{i} = d{i}" for i in range(len(spec.deps))]

    def enter() -> None:
        if spec.raises:
            raise Boom(spec.name, "__init__")

    namespace: dict[str, Any] = {"_enter": enter}
    code = compile("\n".join(lines) + "\n", f"<fuzz_apps {spec.name}>", "exec", dont_inherit=True)
    exec(code, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{spec.name}.__init__"
    init.__annotations__ = {**annotations, "return": None}
    return init


def _add_hooks(cls: type, spec: ClassSpec, events: list[tuple[str, str]]) -> None:
    if spec.hook == "none":
        return
    fail = spec.hook.endswith("-raise")

    def on_module_init(self: object) -> None:
        events.append(("init", spec.name))
        if fail:
            raise Boom(spec.name, "on_module_init")

    async def on_module_init_async(self: object) -> None:
        on_module_init(self)

    def on_application_shutdown(self: object, signal: str | None = None) -> None:
        events.append(("shutdown", spec.name))

    cls.on_module_init = (  # type: ignore[attr-defined]
        on_module_init_async if spec.hook.startswith("async") else on_module_init
    )
    cls.on_application_shutdown = on_application_shutdown  # type: ignore[attr-defined]


def build(scenario: Scenario) -> BuiltApp:
    """Fresh classes for ``scenario``: every call makes new ones."""
    events: list[tuple[str, str]] = []
    specs = {c.name: c for c in scenario.classes}
    controllers = {
        m.controller.name: m.controller for m in scenario.modules if m.controller is not None
    }
    classes: dict[str, type] = {}
    for name in [*specs, *controllers]:
        classes[name] = type(name, (), {"__module__": __name__, "__qualname__": name})
    app = BuiltApp(scenario, root=type, modules=[], classes=classes, events=events)

    def wire(spec: ClassSpec) -> type:
        cls = classes[spec.name]
        annotations = {f"d{i}": app.token(dep) for i, dep in enumerate(spec.deps)}
        cls.__init__ = _make_init(spec, annotations)  # type: ignore[misc]
        cls.__fuzz_deps__ = len(spec.deps)  # type: ignore[attr-defined]
        _add_hooks(cls, spec, events)
        return cls

    for spec in specs.values():
        Injectable(scope=_SCOPES[spec.injectable_scope])(wire(spec))
    for index, spec in enumerate(scenario.modules):
        if spec.controller is not None:
            cls = wire(spec.controller)
            cls.read = Get("/")(_make_route(spec.controller.name))  # type: ignore[attr-defined]
            Controller(f"/m{index}")(cls)

    modules = [
        type(m.name, (), {"__module__": __name__, "__qualname__": m.name})
        for m in scenario.modules
    ]
    listed: dict[int, Any] = {}

    def provider(spec: ProviderSpec) -> Any:
        token = app.token(spec.token)
        if spec.kind in ("class", "use_class"):
            impl = classes[spec.impl or spec.token.name]
            if spec.kind == "class" and spec.scope == "singleton":
                return impl
            return {"provide": token, "useClass": impl, "scope": _SCOPES[spec.scope]}
        if spec.kind == "value":
            return {"provide": token, "useValue": spec.value}
        if spec.kind == "existing":
            assert spec.target is not None
            return {"provide": token, "useExisting": app.token(spec.target)}
        if id(spec) not in listed:  # a factory listed twice is the same function
            listed[id(spec)] = _make_factory(spec)
        return {
            "provide": token,
            "useFactory": listed[id(spec)],
            "inject": [app.token(t) for t in spec.inject],
        }

    for cls, spec in zip(modules, scenario.modules, strict=True):
        Module(
            imports=[modules[i] for i in spec.imports],
            providers=[provider(p) for p in spec.providers],
            exports=[modules[e] if isinstance(e, int) else app.token(e) for e in spec.exports],
            controllers=[classes[spec.controller.name]] if spec.controller else [],
            is_global=spec.is_global,
        )(cls)
    app.modules = modules
    app.root = modules[0]
    return app


def _make_route(controller: str) -> Callable[[object], dict[str, str]]:
    def read(self: object) -> dict[str, str]:
        return {"controller": controller}

    return read


def _make_factory(spec: ProviderSpec) -> Callable[..., Any]:
    name = repr(spec.token)

    def factory(*args: Any) -> Any:
        if spec.raises:
            raise Boom(spec.token.name, "factory")
        return {
            "product": FactoryProduct(name, args),
            "none": None,
            "zero": 0,
            "empty": "",
        }[spec.result]

    factory.__name__ = factory.__qualname__ = f"make_{spec.token.name}"
    return factory


# ── comparing what two apps built ───────────────────────────────────────────────


def shape(obj: Any, depth: int = 0) -> Any:
    """A structural description of a built object: generated instances by class and the
    shapes of what they hold, factory products by name and arguments, values by type and
    ``repr``. Objects from two apps built from the same classes compare equal when they
    were built the same way."""
    if depth > 4:
        return "..."
    if isinstance(obj, FactoryProduct):
        return ("factory", obj.name, tuple(shape(a, depth + 1) for a in obj.args))
    deps = getattr(type(obj), "__fuzz_deps__", None)
    if deps is not None:
        held = tuple(shape(getattr(obj, f"d{i}", "<unset>"), depth + 1) for i in range(deps))
        return (type(obj).__qualname__, held)
    return ("value", type(obj).__name__, repr(obj))
