"""Shared fixtures for nest-testing's own suite."""
