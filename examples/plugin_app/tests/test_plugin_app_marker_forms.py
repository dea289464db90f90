"""Each form ``@pytest.mark.nest_override`` takes, one test each (docs/plugin.md)."""

import pytest
from seed_depends_app import ConfigService, Logger
from test_plugin_app_overrides import FakeLogger, QuietLogger

from nest_testing import TestingModule  # for typing only

fake_logger = FakeLogger()


def make_logger(config: ConfigService) -> Logger:
    return Logger(config)


# fmt: off
@pytest.mark.nest_override(Logger, FakeLogger)                  # a class: use_class
def test_class(nest_app: TestingModule) -> None:
    assert isinstance(nest_app.get(Logger), FakeLogger)


@pytest.mark.nest_override(Logger, fake_logger)                 # anything else: use_value
def test_value(nest_app: TestingModule) -> None:
    assert nest_app.get(Logger) is fake_logger


@pytest.mark.nest_override(Logger, use_value=None)              # None is a real value
def test_none(nest_app: TestingModule) -> None:
    assert nest_app.get(Logger) is None


@pytest.mark.nest_override(Logger, use_class=QuietLogger)       # its own deps are injected
def test_use_class(nest_app: TestingModule) -> None:
    assert isinstance(nest_app.get(Logger), QuietLogger)


@pytest.mark.nest_override(Logger, use_factory=make_logger, inject=[ConfigService])
def test_factory(nest_app: TestingModule) -> None:
    assert nest_app.get(Logger).config_service is nest_app.get(ConfigService)
# fmt: on
