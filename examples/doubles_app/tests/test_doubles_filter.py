"""override_filter: UsersController's SignupErrorFilter, swapped for this testing module."""

from typing import Any

import pytest
from doubles_app import AppModule, EmailTaken, SignupErrorFilter, UsersController
from fastapi.responses import JSONResponse
from nest.common.exceptions import ExceptionFilter
from nest.core import Catch

from nest_testing import Test, UnknownOverrideError


@Catch(EmailTaken)
class RecordingFilter(ExceptionFilter):
    """Remembers what it caught; answers 409 like the real filter, with no body."""

    def __init__(self) -> None:
        self.caught: list[Exception] = []

    async def catch(self, exception: Exception, host: Any) -> JSONResponse:
        self.caught.append(exception)
        return JSONResponse(None, status_code=409)


class Reraise(ExceptionFilter):
    """No ``@Catch``: sees every exception, and lets it reach the test."""

    async def catch(self, exception: Exception, host: Any) -> Any:
        raise exception


def sign_up_twice(builder: Any) -> Any:
    with builder.compile() as module:
        module.client.post("/users", json={"email": "bob@example.com"})
        return module.client.post("/users", json={"email": "bob@example.com"})


def test_a_second_signup_is_a_409_from_the_real_filter() -> None:
    response = sign_up_twice(Test.create_testing_module(imports=[AppModule]))

    assert response.status_code == 409
    assert response.json() == {"error": "email_taken", "email": "bob@example.com"}


def test_override_filter_with_an_instance() -> None:
    recorder = RecordingFilter()
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_filter(SignupErrorFilter, recorder)

    response = sign_up_twice(builder)

    assert response.status_code == 409
    assert [str(exc) for exc in recorder.caught] == ["bob@example.com is already registered"]


def test_override_filter_with_a_class_to_see_the_exception() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_filter(SignupErrorFilter, Reraise)

    with pytest.raises(EmailTaken, match=r"bob@example\.com is already registered"):
        sign_up_twice(builder)


@pytest.mark.parametrize("form", ["use_class", "use_value"])
def test_the_two_step_forms(form: str) -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    if form == "use_class":
        builder.override_filter(SignupErrorFilter).use_class(Reraise)
    else:
        builder.override_filter(SignupErrorFilter).use_value(Reraise())

    with pytest.raises(EmailTaken):
        sign_up_twice(builder)


def test_the_controller_class_is_untouched() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    sign_up_twice(builder.override_filter(SignupErrorFilter, RecordingFilter()))

    assert UsersController.__filters__ == [SignupErrorFilter]
    assert sign_up_twice(Test.create_testing_module(imports=[AppModule])).json() == {
        "error": "email_taken",
        "email": "bob@example.com",
    }


def test_overriding_a_filter_no_route_uses() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.override_filter(RecordingFilter, Reraise)

    with pytest.raises(UnknownOverrideError) as info:
        builder.compile()

    assert str(info.value) == (
        "override_filter(RecordingFilter): no route of this testing module uses it. "
        "Filters in use: SignupErrorFilter."
    )
