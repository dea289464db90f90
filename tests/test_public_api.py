"""The public surface: every exported name is documented, with an example."""

import inspect

import pytest

import nest_testing


@pytest.mark.parametrize("name", nest_testing.__all__)
def test_every_public_name_has_a_docstring_with_an_example(name: str) -> None:
    obj = getattr(nest_testing, name)
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    if inspect.isclass(obj) and not issubclass(obj, Exception) and name != "Phase":
        assert "Example" in doc, f"{name}'s docstring has no example"


def public_methods() -> list[tuple[str, str]]:
    found = []
    for name in nest_testing.__all__:
        obj = getattr(nest_testing, name)
        if not inspect.isclass(obj) or issubclass(obj, Exception):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_") or not (callable(value) or isinstance(value, property)):
                continue
            found.append((name, attr))
    return found


@pytest.mark.parametrize(("cls", "attr"), public_methods())
def test_every_public_method_has_a_docstring(cls: str, attr: str) -> None:
    value = vars(getattr(nest_testing, cls))[attr]
    target = value.fget if isinstance(value, property) else value
    assert (inspect.getdoc(target) or "").strip(), f"{cls}.{attr} has no docstring"


def test_all_is_sorted_and_complete() -> None:
    assert list(nest_testing.__all__) == sorted(nest_testing.__all__)
    for name in nest_testing.__all__:
        assert hasattr(nest_testing, name)


@pytest.mark.parametrize(
    ("cls", "attr"),
    [
        ("Test", "from_app"),
        ("TestingModuleBuilder", "app_options"),
        ("TestingModuleBuilder", "override_dependency"),
        ("TestingModule", "cli"),
        ("TestingModule", "invoke"),
    ],
)
def test_the_deployed_app_api_is_public_with_an_example(cls: str, attr: str) -> None:
    value = inspect.getattr_static(getattr(nest_testing, cls), attr)  # inherited ones too
    target = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
    assert "Example" in (inspect.getdoc(target) or ""), f"{cls}.{attr} has no example"


def test_the_database_names_are_public() -> None:
    # issue 12: use_database, module.database, TestDatabase, DatabaseError
    assert issubclass(nest_testing.DatabaseError, nest_testing.NestTestingError)
    assert "Example" in (inspect.getdoc(nest_testing.TestingModuleBuilder.use_database) or "")
    assert isinstance(vars(nest_testing.TestingModule)["database"], property)
    for name in ("session", "reset", "areset", "url", "engine", "rolls_back"):
        assert hasattr(nest_testing.TestDatabase, name), name


def test_every_error_class_is_listed_and_public() -> None:
    # nest_testing's public error names are errors.__all__: a class missing there is
    # missing from the package too.
    from nest_testing import errors

    classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.NestTestingError)
    }
    assert classes == set(errors.__all__)
    assert all(getattr(nest_testing, name) is getattr(errors, name) for name in classes)
