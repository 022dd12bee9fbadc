"""Fixtures shared by the handler tests."""

from tests.handlers.search_library import library  # noqa: F401  (a fixture)
