"""A realistic synthetic PyNest 0.6.2 app, built at run time for the benchmarks.

``make_app(n_modules, n_providers)`` returns a root ``AppModule`` class that imports
``n_modules`` feature modules. Feature module ``i`` has:

- ``n_providers`` ``@Injectable`` classes ``M{i}P{k}``; provider ``k`` takes provider
  ``k - 1`` of the same module as a constructor parameter, and provider ``0`` of module
  ``i > 0`` takes the exported provider of module ``i - 1`` (which module ``i`` imports);
- exports its last provider (its "service"), so PyNest's encapsulation check passes;
- one ``@Controller`` with two ``@Get`` routes that use that service:
  ``GET /m{i}/`` and ``GET /m{i}/items/{item_id}``.

Every class is created with ``type(...)`` and a real ``__init__`` whose parameters are
annotated with real classes (never strings): PyNest's injector resolves constructor
parameters from those annotations. That is also why this file must not use
``from __future__ import annotations``.

Names are unique: ``__name__`` is unique within one app (``M003P07``, ``M003Controller``,
``M003Module``), and ``__qualname__`` is prefixed with the app's name (``App10x20n1.M003P07``),
which is unique per ``make_app`` call, so two apps built in one process never share a
qualified name.
"""

import itertools
from dataclasses import dataclass, field
from typing import Any

from nest.core import Controller, Get, Injectable, Module

__all__ = ["SyntheticInfo", "make_app"]

_serial = itertools.count(1)


@dataclass(frozen=True)
class SyntheticInfo:
    """What ``make_app`` built, attached to the root module as ``__synthetic__``."""

    name: str
    n_modules: int
    n_providers: int
    feature_modules: list[type] = field(default_factory=list)
    providers: list[list[type]] = field(default_factory=list)  # [module][k]
    controllers: list[type] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)  # one concrete GET path per route

    @property
    def services(self) -> list[type]:
        """The exported (last) provider of each feature module."""
        return [module_providers[-1] for module_providers in self.providers]


def _name(cls_name: str, app_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    attrs["__module__"] = __name__
    attrs["__qualname__"] = f"{app_name}.{cls_name}"
    for value in attrs.values():
        if callable(value) and hasattr(value, "__qualname__"):
            value.__module__ = __name__
            value.__qualname__ = f"{app_name}.{cls_name}.{value.__name__}"
    return attrs


def _provider_attrs(module_index: int, index: int, dependency: type | None) -> dict[str, Any]:
    if dependency is None:

        def __init__(self) -> None:
            self.module_index = module_index
            self.index = index
            self.depth = 0

    else:
        # `dependency` is a real class, so the annotation below is that class, not a string.
        def __init__(self, dep: dependency) -> None:  # type: ignore[valid-type]
            self.dep = dep
            self.module_index = module_index
            self.index = index
            self.depth = dep.depth + 1

    def describe(self) -> dict[str, int]:
        return {"module": self.module_index, "provider": self.index, "depth": self.depth}

    def lookup(self, item_id: int) -> dict[str, int]:
        return {"id": item_id, "module": self.module_index, "depth": self.depth}

    return {"__init__": __init__, "describe": describe, "lookup": lookup}


def _controller_attrs(service_cls: type) -> dict[str, Any]:
    def __init__(self, service: service_cls) -> None:  # type: ignore[valid-type]
        self.service = service

    @Get("/")
    def list_items(self) -> dict[str, int]:
        return self.service.describe()

    @Get("/items/{item_id}")
    def get_item(self, item_id: int) -> dict[str, int]:
        return self.service.lookup(item_id)

    return {"__init__": __init__, "list_items": list_items, "get_item": get_item}


def make_app(n_modules: int, n_providers: int) -> type:
    """Build a fresh synthetic app; returns its root ``AppModule`` class.

    Each call creates brand-new classes, so apps from two calls share nothing.
    """
    if n_modules < 1 or n_providers < 1:
        raise ValueError("make_app needs n_modules >= 1 and n_providers >= 1")
    app_name = f"App{n_modules}x{n_providers}n{next(_serial)}"
    info = SyntheticInfo(name=app_name, n_modules=n_modules, n_providers=n_providers)
    width = max(3, len(str(n_modules - 1)))
    pwidth = max(2, len(str(n_providers - 1)))

    previous_module: type | None = None
    previous_service: type | None = None
    for i in range(n_modules):
        tag = f"M{i:0{width}d}"
        providers: list[type] = []
        dependency = previous_service
        for k in range(n_providers):
            cls_name = f"{tag}P{k:0{pwidth}d}"
            attrs = _name(cls_name, app_name, _provider_attrs(i, k, dependency))
            provider = Injectable(type(cls_name, (), attrs))
            providers.append(provider)
            dependency = provider
        service = providers[-1]

        ctrl_name = f"{tag}Controller"
        prefix = f"/{tag.lower()}"
        controller = Controller(prefix, tag=tag.lower())(
            type(ctrl_name, (), _name(ctrl_name, app_name, _controller_attrs(service)))
        )

        mod_name = f"{tag}Module"
        module = Module(
            imports=[previous_module] if previous_module is not None else [],
            providers=providers,
            controllers=[controller],
            exports=[service],
        )(type(mod_name, (), _name(mod_name, app_name, {})))

        info.feature_modules.append(module)
        info.providers.append(providers)
        info.controllers.append(controller)
        info.routes.extend([f"{prefix}/", f"{prefix}/items/{i}"])
        previous_module, previous_service = module, service

    root_name = "AppModule"
    root = Module(imports=list(info.feature_modules))(
        type(root_name, (), _name(root_name, app_name, {"__synthetic__": info}))
    )
    return root


def _self_check(n_modules: int = 10, n_providers: int = 20) -> None:
    """Build an app, check its annotations are real classes, and serve every route once."""
    from nest.core import PyNestFactory
    from starlette.testclient import TestClient

    app_module = make_app(n_modules, n_providers)
    info: SyntheticInfo = app_module.__synthetic__  # type: ignore[attr-defined]
    for cls in [*itertools.chain.from_iterable(info.providers), *info.controllers]:
        hints = {k: v for k, v in cls.__init__.__annotations__.items() if k != "return"}
        assert all(isinstance(v, type) for v in hints.values()), (cls, hints)
    app = PyNestFactory.create(app_module)
    with TestClient(app.http_server) as client:
        for path in info.routes:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text)
    last = app.container.get(info.services[-1])
    assert last.depth == n_modules * n_providers - 1, last.depth
    print(f"{info.name}: {len(info.routes)} routes served, last service depth {last.depth}")


if __name__ == "__main__":
    _self_check()
