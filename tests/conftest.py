"""Shared configuration for nest-testing's own suite."""

import fuzz_apps  # noqa: F401  # registers hypothesis profiles before --hypothesis-profile is read

pytest_plugins = ["pytester"]
