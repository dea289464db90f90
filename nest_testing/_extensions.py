"""The seam through which a feature takes part in a testing module's life.

A feature that is more than an override of the graph (the deployed app's settings and
middleware, a test database, ...) is a `ModuleExtension`: the builder adds one to
the plan, and the runtime calls its hooks at fixed points. Features are modules of their
own; nothing here knows about any of them, and the builder, container and testing module
get no branch per feature.

Order of the calls, for one testing module, all on the module's event loop:

1. `app_options()` is read when the FastAPI app is made (`FastAPI(**options)`);
   later extensions win per keyword, the builder's `app_options(...)` over all;
2. `await start()` before the container is built (before any provider exists);
3. `configure_app(app)` after PyNest registered the routes and the guard and filter
   overrides were applied, before the builder's `configure_app` callbacks and before
   the app's lifespan starts;
4. `finish_app(app)` after the builder's `configure_app` callbacks, before
   `Depends(SomeClass)` counting is wired: the last word on the app (routes added by
   the callbacks are there);
5. `await stop()` once, when the module closes, after the shutdown hooks and the app's
   lifespan ended, in reverse order of `start()`; also when startup failed, for every
   extension whose `start()` had returned.

An extension must not keep state across testing modules: one instance per builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nest.core.pynest_application import PyNestApp


class ModuleExtension:
    """Base class of a feature wired into a testing module; every hook is optional."""

    def app_options(self) -> Mapping[str, Any]:
        """Keyword arguments for the module's `FastAPI(...)`."""
        return {}

    async def start(self) -> None:
        """Before the container is built, on the module's loop."""

    def configure_app(self, app: PyNestApp) -> None:
        """After the routes are registered, before the lifespan starts."""

    def finish_app(self, app: PyNestApp) -> None:
        """After the builder's `configure_app` callbacks, before Depends counting."""

    async def stop(self) -> None:
        """When the module closes (or its startup failed), on the module's loop."""
