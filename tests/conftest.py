"""Shared configuration for nest-testing's own suite."""

pytest_plugins = ["pytester"]
