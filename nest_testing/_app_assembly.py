"""The testing module's app: PyNest's `PyNestApp` with this module's changes applied.

As `PyNestFactory.create` does: a fresh FastAPI app whose routes PyNestApp registers
(from route templates when the blueprint cache is on, see
`nest_testing._route_templates`). Then, in this order: the guard and filter
overrides, the extensions' `configure_app`, the builder's `configure_app` callbacks,
the extensions' `finish_app`, and the `Depends(SomeClass)` counting; last the ASGI
lifespan the runtime starts. This module decides that order and nothing else: it builds
no provider itself and starts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgi_lifespan import LifespanManager
from nest.core.pynest_application import PyNestApp

from nest_testing._container import TestingContainer
from nest_testing._depends import count_depends
from nest_testing._ledger import Ledger
from nest_testing._pipes import apply_pipes
from nest_testing._plan import AppPlan, backstop
from nest_testing._route_templates import new_app
from nest_testing._routes import built, override_filters, override_guards
from nest_testing.errors import AppConfigurationError, NestTestingError


@dataclass(frozen=True)
class AssembledApp:
    """A testing module's app, the lifespan to run it in, and the classes FastAPI
    builds per request through the counter (`Depends` classes and pipes)."""

    app: PyNestApp
    lifespan: LifespanManager
    depends: list[type]


def assemble_app(
    container: TestingContainer, ledger: Ledger, plan: AppPlan, *, timeout: float | None
) -> AssembledApp:
    """Build the app of a built container, with the plan's changes applied; its lifespan
    startup and shutdown may each take `timeout` seconds (`None`: no limit)."""
    options: dict[str, Any] = {}
    for extension in plan.extensions:
        options.update(extension.app_options())
    app = new_app(container, reuse_routes=container.reuses_routes, options=options)
    http_server = app.http_server
    get = container.get
    override_guards(http_server, built(plan.guards, get, "override_guard"))
    override_filters(http_server, built(plan.filters, get, "override_filter"))
    pipes = apply_pipes(http_server, built(plan.pipes, get, "override_pipe"), ledger)
    for extension in plan.extensions:
        extension.configure_app(app)
    for configure in plan.configure:
        try:
            configure(app)
        except NestTestingError:
            raise
        except Exception as exc:
            name = getattr(configure, "__qualname__", repr(configure))
            raise AppConfigurationError(
                f"configure_app({name}) raised {exc!r} while the testing module's app was "
                "assembled (after PyNest registered the routes, before the lifespan starts)."
            ) from exc
    for extension in plan.extensions:
        extension.finish_app(app)
    depends = count_depends(http_server, ledger, _replacement_for(container)) + pipes
    # The shutdown runs PyNest's shutdown hooks, each under the hook timeout: the
    # lifespan's own limit only catches what outlives them (a hook that swallows its
    # cancellation, a hanging shutdown handler).
    shutdown = None if timeout is None else backstop(timeout)
    lifespan = LifespanManager(http_server, startup_timeout=timeout, shutdown_timeout=shutdown)
    return AssembledApp(app, lifespan, depends)


def _replacement_for(container: TestingContainer) -> Callable[[type], Callable[[], Any] | None]:
    """For a class the builder overrode or mocked: what `Depends(cls)` receives (what
    every other consumer receives)."""

    def replacement_for(cls: type) -> Callable[[], Any] | None:
        if container.replacement_kind(cls) not in ("override", "mock"):
            return None

        def replacement() -> Any:
            return container.get(cls)

        return replacement

    return replacement_for
