"""``@pytest.mark.nest_override``: on the module, a class and a function. For each token
the closest marker wins."""

import pytest
from seed_depends_app import ConfigService, ItemService, Logger
from starlette.testclient import TestClient

from nest_testing import TestingModule  # for typing only


class FakeLogger:
    """Records what the app logs instead of writing it anywhere."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.log = self  # the app calls logger.log.info(...)

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)


class QuietLogger(FakeLogger):
    pass


pytestmark = pytest.mark.nest_override(Logger, FakeLogger)


def test_module_marker(nest_app: TestingModule, nest_client: TestClient) -> None:
    nest_client.get("/items")
    logger = nest_app.get(Logger)
    assert isinstance(logger, FakeLogger)
    assert logger.lines == ["Endpoint called"]
    assert nest_app.get(ItemService).logger is logger  # every consumer holds the fake
    nest_app.assert_singleton(Logger)


@pytest.mark.nest_override(Logger, QuietLogger)
class TestClassMarker:
    def test_class_marker_beats_the_module_marker(self, nest_app: TestingModule) -> None:
        assert isinstance(nest_app.get(Logger), QuietLogger)

    @pytest.mark.nest_override(Logger, use_value=None)
    def test_function_marker_beats_both(self, nest_app: TestingModule) -> None:
        assert nest_app.get(Logger) is None  # None is a real value


def make_logger(config_service: ConfigService) -> FakeLogger:
    logger = FakeLogger()
    logger.lines.append(f"built with {type(config_service).__name__}")
    return logger


@pytest.mark.nest_override(Logger, use_factory=make_logger, inject=[ConfigService])
def test_factory_form(nest_app: TestingModule, nest_client: TestClient) -> None:
    nest_client.get("/items")
    logger = nest_app.get(Logger)
    assert isinstance(logger, FakeLogger)
    assert logger.lines == ["built with ConfigService", "Endpoint called"]
    nest_app.assert_constructed(Logger, times=1)  # the factory ran once


@pytest.mark.nest_override(Logger, use_class=QuietLogger)
def test_use_class_form(nest_app: TestingModule) -> None:
    assert isinstance(nest_app.get(Logger), QuietLogger)


def test_overrides_show_in_the_graph(nest_app: TestingModule) -> None:
    assert nest_app.graph.node(Logger).status == "overridden"
