"""Misuse that used to reach users raw (TypeError, AttributeError, starlette's
RuntimeError) or was accepted silently: each is a NestTestingError that says what to do."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from nest.core import Injectable, Module
from nt_sample_app import AppModule, CoreModule, ItemModule, ItemService, Logger

from nest_testing import (
    AppConfigurationError,
    EncapsulationError,
    ProviderConstructionError,
    Test,
    TestingModule,
    UsageError,
)

NOT_A_TOKEN = r"is not a token\. A token is what a module lists in providers=\[\.\.\.\]"


@pytest.fixture
def module() -> Any:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        yield module


@pytest.mark.parametrize(
    "misuse",
    [
        lambda b: b.override_provider([Logger], object()),
        lambda b: b.override_provider([Logger]),
        lambda b: b.mock_provider({"a": 1}),
        lambda b: b.spy_provider([]),
    ],
    ids=["override", "override-step", "mock", "spy"],
)
def test_an_unhashable_token_is_refused_where_it_is_passed(misuse: Any) -> None:
    with pytest.raises(UsageError, match=NOT_A_TOKEN):
        misuse(Test.create_testing_module(imports=[AppModule]))


@pytest.mark.parametrize("lookup", ["get", "resolve", "assert_singleton", "assert_constructed"])
def test_an_unhashable_lookup_is_refused(module: TestingModule, lookup: str) -> None:
    with pytest.raises(UsageError, match=NOT_A_TOKEN):
        getattr(module, lookup)([])


@pytest.mark.parametrize("key", ["imports", "providers", "controllers", "exports"])
def test_one_item_where_a_list_is_expected_says_how_to_write_it(key: str) -> None:
    with pytest.raises(UsageError, match=rf"takes a list, as @Module does; got .*\. Write {key}="):
        Test.create_testing_module(**{key: AppModule})


def test_a_module_class_in_imports_message_reads_as_a_call() -> None:
    with pytest.raises(UsageError) as caught:
        Test.create_testing_module(imports=[Logger])
    assert str(caught.value).startswith(
        "create_testing_module(imports=[...]) takes PyNest @Module classes"
    )


def test_an_injectable_in_controllers_is_refused() -> None:
    with pytest.raises(UsageError, match="ItemService is an @Injectable, not a @Controller"):
        Test.create_testing_module(controllers=[ItemService])


def test_an_instance_in_controllers_is_refused_as_not_a_class() -> None:
    # An instance of an @Injectable is no class to move to providers=[...].
    with pytest.raises(UsageError, match=r"takes @Controller classes; <.*ItemService object"):
        Test.create_testing_module(controllers=[object.__new__(ItemService)])


def test_a_module_class_as_a_provider_replacement_is_refused() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    with pytest.raises(UsageError, match=r"CoreModule is a @Module.*override_module"):
        builder.override_provider(Logger, CoreModule)


@pytest.mark.parametrize(
    ("start", "forms"),
    [
        (lambda b: b.override_provider(Logger), ".use_value(...), .use_class(...)"),
        (lambda b: b.override_module(CoreModule), ".use_module(...)"),
        (lambda b: b.override_guard(Logger), ".use_class(...), .use_value(...) or .use_factory"),
    ],
    ids=["provider", "module", "guard"],
)
def test_an_unfinished_override_used_as_the_builder_says_what_is_missing(
    start: Any, forms: str
) -> None:
    step = start(Test.create_testing_module(imports=[AppModule]))
    with pytest.raises(UsageError, match="This override is not finished") as caught:
        step.compile()
    assert forms in str(caught.value)
    assert "then call .compile(...) on that" in str(caught.value)
    # What tools probe for (inspect.unwrap, copy, pickle) is plainly absent, not a misuse.
    assert not hasattr(step, "__wrapped__")
    assert copy.deepcopy(step) is not step


@pytest.mark.parametrize("times", [-1, 1.5, True, "1"])
def test_assert_constructed_takes_a_count(module: TestingModule, times: Any) -> None:
    with pytest.raises(UsageError, match="takes a count >= 0"):
        module.assert_constructed(Logger, times=times)


def test_assert_constructed_of_zero_times_passes_for_what_was_never_built() -> None:
    with Test.create_testing_module(imports=[AppModule]).lazy().compile() as lazy:
        lazy.assert_constructed(Logger, times=0)


@pytest.mark.asyncio
async def test_async_client_without_async_with_says_how_to_write_it() -> None:
    async with await Test.create_testing_module(imports=[AppModule]).compile_async() as module:
        with pytest.raises(UsageError, match=r"async with module\.async_client"):
            await module.async_client().get("/items")  # type: ignore[attr-defined]
        with pytest.raises(UsageError, match=r"await module\.async_client"):
            await module.async_client()  # type: ignore[misc]
        async with module.async_client() as client:  # the right way still works
            assert (await client.get("/items")).status_code == 200


def test_a_client_kept_after_close_says_the_module_is_closed() -> None:
    with Test.create_testing_module(imports=[AppModule]).compile() as module:
        client = module.client
        assert client.get("/items").status_code == 200
    with pytest.raises(UsageError, match="belongs to a testing module that is closed"):
        client.get("/items")


@Module(providers=[{"provide": "ANSWER", "useValue": 42}], exports=["ANSWER"])
class AnswerModule:
    pass


def test_a_spy_of_a_plain_value_is_refused() -> None:
    builder = Test.create_testing_module(imports=[AnswerModule]).spy_provider("ANSWER")
    with pytest.raises(UsageError, match=r"'ANSWER' is the value 42, which has no methods"):
        builder.compile()


class Unregistered:
    pass


@Injectable
class NeedsUnregistered:
    def __init__(self, dependency: Unregistered) -> None:
        self.dependency = dependency


@Module(providers=[NeedsUnregistered])
class NeedsModule:
    pass


def test_a_mocker_that_raises_is_named_as_the_mocker() -> None:
    def mocker(token: object) -> object:
        raise RuntimeError("mocker broke")

    builder = Test.create_testing_module(imports=[NeedsModule]).use_mocker(mocker)
    with pytest.raises(ProviderConstructionError) as caught:
        builder.compile()
    message = str(caught.value)
    assert message.startswith("NeedsModule -> NeedsUnregistered -> Unregistered: the mocker")
    assert "use_mocker() raised RuntimeError('mocker broke') when offered Unregistered" in message
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_configure_app_callback_that_raises_is_named() -> None:
    def add_cors(app: object) -> None:
        raise ValueError("bad origin")

    builder = Test.create_testing_module(imports=[AppModule]).configure_app(add_cors)
    with pytest.raises(AppConfigurationError, match=r"configure_app\(.*add_cors\) raised Value"):
        builder.compile()


@pytest.mark.parametrize("decorate", [Injectable, lambda cls: cls], ids=["injectable", "plain"])
def test_string_annotations_of_classes_inside_a_function_are_explained(
    decorate: Callable[[type], type],
) -> None:
    # This file has `from __future__ import annotations`: the injector cannot see A. A
    # plain class in providers=[...] (no @Injectable) fails in typing.get_type_hints
    # itself rather than in the injector's _BindingNotYetAvailable: the same cause.
    @decorate
    class A:
        def __init__(self) -> None:
            pass

    @decorate
    class B:
        def __init__(self, a: A) -> None:
            self.a = a

    @Module(providers=[A, B])
    class LocalModule:
        pass

    with pytest.raises(ProviderConstructionError) as caught:
        Test.create_testing_module(imports=[LocalModule]).compile()
    message = str(caught.value)
    assert "name 'A' is not defined" in message
    assert "Define the classes at module level" in message


@Injectable
class NeedsItems:
    def __init__(self, items: ItemService) -> None:
        self.items = items


def test_encapsulation_errors_name_the_testing_module_and_skip_done_steps() -> None:
    builder = Test.create_testing_module(imports=[ItemModule], providers=[NeedsItems])
    with pytest.raises(EncapsulationError) as caught:
        builder.compile()
    message = str(caught.value)
    assert "RootTestingModule" not in message
    assert "ItemService is not visible to the testing module" in message
    assert "add 'imports=" not in message  # ItemModule is imported already
    assert "To fix (ItemModule is imported already): add 'exports=[ItemService]'" in message
