"""``@pytest.mark.nest_mock``: an autospec'd mock served to every consumer."""

import pytest
from seed_depends_app import ConfigService, Logger

from nest_testing import TestingModule  # for typing only


@pytest.mark.nest_mock(ConfigService, **{"get.return_value": "x"})
def test_mock_with_attributes(nest_app: TestingModule) -> None:
    config = nest_app.mocks[ConfigService]
    assert nest_app.get(Logger).config_service is config
    assert config.get("LOG_LEVEL") == "x"
    config.get.assert_called_once_with("LOG_LEVEL")


# A lone class argument must go through .with_args: pytest would apply
# @pytest.mark.nest_mock(ConfigService) to ConfigService itself.
@pytest.mark.nest_mock.with_args(ConfigService)
def test_bare_mock(nest_app: TestingModule) -> None:
    config = nest_app.mocks[ConfigService]
    assert nest_app.get(Logger).config_service is config
    with pytest.raises(AttributeError):
        config.reload()  # autospec'd: ConfigService has no reload()


@pytest.mark.nest_mock.with_args(ConfigService)
class TestClassMarker:
    def test_every_method_gets_the_mock(self, nest_app: TestingModule) -> None:
        assert nest_app.get(ConfigService) is nest_app.mocks[ConfigService]

    @pytest.mark.nest_override(ConfigService, use_value="plain value")
    def test_the_closest_marker_wins_across_kinds(self, nest_app: TestingModule) -> None:
        assert nest_app.get(ConfigService) == "plain value"
        assert ConfigService not in nest_app.mocks
