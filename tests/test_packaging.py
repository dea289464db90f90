"""What the package metadata claims, held to what CI checks and what the files hold."""

import re
import sys
from importlib.metadata import metadata, requires, version
from pathlib import Path

import pytest

import nest_testing

ROOT = Path(__file__).resolve().parents[1]


def test_version_comes_from_the_package_metadata() -> None:
    assert nest_testing.__version__ == version("nest-testing")
    declared = re.search(
        r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE
    )
    assert declared is not None
    assert nest_testing.__version__ == declared[1]


def ci_pythons() -> list[str]:
    found = re.search(r"^PYTHONS=\(([^)]*)\)", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    assert found is not None, ".ci/run lists the Pythons it tests in PYTHONS=(...)"
    return found[1].split()


def test_every_python_the_metadata_names_is_one_ci_tests() -> None:
    meta = metadata("nest-testing")
    classified = [
        c.rsplit(" :: ", 1)[1]
        for c in meta.get_all("Classifier") or []
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert classified == ci_pythons()
    floor = re.fullmatch(r">=(3\.\d+)", meta["Requires-Python"])
    assert floor is not None
    assert floor[1] == ci_pythons()[0]
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running in classified  # the suite only runs where we say it does


def test_pytest_is_a_dependency_with_a_tested_range() -> None:
    pytest_requirement = [
        r for r in requires("nest-testing") or [] if re.match(r"pytest[<>=!~]", r)
    ]
    assert pytest_requirement == ["pytest<10,>=8.2"]
    major, minor = (int(part) for part in pytest.__version__.split(".")[:2])
    assert (8, 2) <= (major, minor) < (10, 0)


def test_license_file_is_shipped_and_says_mit() -> None:
    meta = metadata("nest-testing")
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_changelog_has_a_section_for_unreleased_changes() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    assert f"`{nest_testing.__version__}`" in text
