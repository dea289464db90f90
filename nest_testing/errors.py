"""Every failure a nest-testing user can meet, one class each.

All of them derive from `NestTestingError`, so `except NestTestingError` catches
anything the toolkit raises about the app under test. Errors raised while resolving the
graph carry the path from the root module to the failing provider in `path`
and chain the original exception (`raise ... from original`).

Example:
    ```python
    from nest_testing import NestTestingError, Test

    try:
        Test.create_testing_module(imports=[AppModule]).compile()
    except NestTestingError as exc:
        print(exc.path)  # ('AppModule', 'ItemController', 'ItemService', 'Logger')
    ```
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

__all__ = [
    "AppConfigurationError",
    "CircularDependencyError",
    "DatabaseError",
    "EncapsulationError",
    "ImplicitProviderError",
    "LifecycleHookError",
    "MissingProviderError",
    "ModuleOverrideError",
    "NestTestingError",
    "ProviderConstructionError",
    "ScopeError",
    "UnknownExportError",
    "UnknownOverrideError",
    "UnknownTokenError",
    "UsageError",
]


class NestTestingError(Exception):
    """Base class of every error nest-testing raises about the app under test.

    `path` names the nodes from the root module to the failing provider (empty when
    the error is not about one node); `token` is the token the error is about, if any.

    Example:
        ```python
        with pytest.raises(NestTestingError, match="ItemService -> Logger"):
            Test.create_testing_module(imports=[AppModule]).compile()
        ```
    """

    def __init__(
        self,
        message: str,
        *,
        path: Sequence[str] = (),
        token: Hashable | None = None,
    ) -> None:
        super().__init__(message)
        self.path: tuple[str, ...] = tuple(path)
        self.token = token
        self.shutdown_errors: tuple[NestTestingError, ...] = ()
        """When startup failed: what the shutdown hooks of the providers that had
        started raised while they were shut down (they all ran)."""


class UsageError(NestTestingError):
    """The toolkit was used out of order: `compile()` twice, a closed module, the sync
    client of a module that lives on an event loop, and the like.

    Example:
        ```python
        builder.compile()
        builder.compile()  # UsageError: compile() may be called once per builder
        ```
    """


class UnknownOverrideError(NestTestingError):
    """An override, mock or spy names a token that no module in the graph provides.

    Raised by `compile()`; the message lists the modules searched and the closest
    provider names.

    Example:
        ```python
        Test.create_testing_module(imports=[AppModule]).override_provider(Loger, X).compile()
        # UnknownOverrideError: no module provides Loger ... Did you mean: Logger?
        ```
    """


class UnknownTokenError(NestTestingError, KeyError):
    """A token was looked up that the testing module does not know.

    Also a `KeyError`, so `token in module.constructions` and `.get()` behave like
    a mapping's.

    Example:
        ```python
        module.constructions[Loger]  # UnknownTokenError: ... Did you mean: Logger?
        ```
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ModuleOverrideError(NestTestingError):
    """`override_module(Old, New)`: `New` does not export a token that `Old` exports
    and that a provider or controller of a module importing `Old` injects. The message
    names each consumer, its module and the token.

    Example:
        ```python
        .override_module(DatabaseModule, InMemoryDatabaseModule).compile()
        # ModuleOverrideError: ... UsersModule -> UserRepository injects Session, which
        # InMemoryDatabaseModule does not export ...
        ```
    """


class MissingProviderError(NestTestingError):
    """A provider needs a token that no module provides (or the injector cannot build).

    Example:
        ```python
        # ItemService(logger: Logger) with Logger nowhere in providers=[...] and strict()
        MissingProviderError: AppModule -> ItemService -> Logger: ...
        ```
    """


class ImplicitProviderError(MissingProviderError):
    """In `.strict()` mode: classes would be built implicitly by the injector because no
    module registers them. The message names every such class at once, each with its
    consumer and the module that should provide it.

    Example:
        ```python
        Test.create_testing_module(imports=[AppModule]).strict().compile()
        # ImplicitProviderError: strict(): ConfigService, ItemService would be built
        # implicitly by the injector ...
        #   AppModule -> Logger -> ConfigService: add ConfigService to providers=[...] ...
        #   AppModule -> ItemController -> ItemService: add ItemService to providers=[...] ...
        ```
    """


class CircularDependencyError(NestTestingError):
    """Providers depend on each other in a cycle.

    Example:
        ```python
        # A(b: B), B(a: A)
        CircularDependencyError: Circular dependency: AppModule -> A -> B -> A
        ```
    """


class EncapsulationError(NestTestingError):
    """A provider injects a token its module cannot see (not its own, not exported by an
    imported module, not global), or `select(Mod).get(token)` asked for one.

    Example:
        ```python
        module.select(ItemModule).get(SecretService)
        # EncapsulationError: AppModule -> ItemModule -> SecretService: not visible ...
        ```
    """


class UnknownExportError(EncapsulationError):
    """In `.strict()` mode: a module exports a token it neither provides nor gets from
    an import that exports it, or a module it does not import (NestJS's
    `UnknownExportException`; PyNest itself accepts such an export). Every such export
    is named at once.

    Example:
        ```python
        Test.create_testing_module(imports=[AppModule]).strict().compile()
        # UnknownExportError: strict(): modules export what they do not have:
        #   AppModule -> CoreModule: exports Logger, which CoreModule neither provides ...
        ```
    """


class ProviderConstructionError(NestTestingError):
    """A provider's constructor or factory raised. The original exception is chained.

    Example:
        ```python
        ProviderConstructionError: AppModule -> ItemController -> ItemService -> Logger:
        RuntimeError('boom')
        ```
    """


class LifecycleHookError(NestTestingError):
    """A lifecycle hook (`on_module_init`, `on_application_bootstrap`, a shutdown hook)
    raised. The original exception is chained.

    Example:
        ```python
        LifecycleHookError: AppModule -> DbModule -> Database.on_module_init:
        ConnectionError('refused')
        ```
    """


class AppConfigurationError(NestTestingError):
    """A `configure_app` callback raised while the testing module's app was assembled.
    The original exception is chained.

    Example:
        ```python
        AppConfigurationError: configure_app(add_cors) raised ValueError('bad origin')
        ```
    """


class ScopeError(NestTestingError):
    """`module.get()` was asked for a transient or request-scoped provider, which has no
    single instance to return; `module.resolve()` builds a fresh one.

    Example:
        ```python
        module.get(RequestContext)      # ScopeError: ... use module.resolve(RequestContext)
        module.resolve(RequestContext)  # a new RequestContext
        ```
    """


class DatabaseError(NestTestingError):
    """`use_database()` could not make the test database: a URL SQLAlchemy cannot parse,
    a backend or driver it cannot use, a server that refuses the connection. The message
    names what was tried (password hidden); the app's configured database is untouched.

    Example:
        ```python
        builder.use_database(config, url="postgresql://postgres@127.0.0.1:1/postgres").compile()
        # DatabaseError: use_database(src.config.config): could not make the test database
        # on postgresql+psycopg://postgres@127.0.0.1:1/postgres (url=): OperationalError ...
        ```
    """
