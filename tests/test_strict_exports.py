"""strict(): a module exporting what it neither provides nor imports is an error
(NestJS's UnknownExportException); without strict(), PyNest's acceptance stands."""

import pytest
from nest.core import Injectable, InjectionToken, Module

from nest_testing import EncapsulationError, Test, UnknownExportError

TOKEN = InjectionToken("TOKEN")


@Injectable
class Logger:
    pass


@Injectable
class Stray:
    pass


@Module(providers=[Logger, {"provide": TOKEN, "useValue": 1}], exports=[Logger, TOKEN])
class CoreModule:
    pass


@Module(imports=[CoreModule], exports=[Logger, CoreModule])
class ReexportsModule:
    """Re-exports a token of an import and the import itself: both are fine."""


@Module(providers=[Logger], exports=[Logger, Stray])
class ExportsAStray:
    pass


@Module(exports=[CoreModule])
class ExportsAModuleItDoesNotImport:
    pass


@Module(imports=[ExportsAStray, ExportsAModuleItDoesNotImport, ReexportsModule])
class AppModule:
    pass


def test_strict_names_every_unknown_export() -> None:
    builder = Test.create_testing_module(imports=[AppModule]).strict()
    with pytest.raises(UnknownExportError) as raised:
        builder.compile()
    message = str(raised.value)
    assert message.startswith("strict(): modules export what they do not have")
    assert (
        "  AppModule -> ExportsAStray: exports Stray, which ExportsAStray neither provides "
        "nor imports from a module that exports it. Add Stray to providers=[...] of "
        "ExportsAStray, import the module that exports it, or remove it from exports=[...]."
    ) in message
    assert (
        "  AppModule -> ExportsAModuleItDoesNotImport: exports the module CoreModule, which "
        "ExportsAModuleItDoesNotImport does not import."
    ) in message
    assert "ReexportsModule" not in message
    assert isinstance(raised.value, EncapsulationError)
    assert raised.value.path == ("AppModule", "ExportsAStray", "Stray")


def test_without_strict_pynest_accepts_it() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        assert isinstance(module.get(Logger), Logger)


def test_strict_accepts_own_providers_re_exports_and_imported_modules() -> None:
    builder = Test.create_testing_module(imports=[ReexportsModule]).strict()
    with builder.compile() as module:
        assert module.select(ReexportsModule).get(TOKEN) == 1


def test_the_testing_module_s_own_exports_are_checked_too() -> None:
    builder = Test.create_testing_module(providers=[Logger], exports=[Logger, Stray]).strict()
    with pytest.raises(UnknownExportError, match="the testing module: exports Stray"):
        builder.compile()
