"""Exceptions of the ETL and the ``Problem`` record that names what is wrong and how to fix it.

Policy (as in rasterio's ``errors.py``): one small hierarchy under ``OneMapError``; each class
also inherits the builtin it behaves like. Data problems are collected as ``Problem``
records and raised together in one ``DataError``, so a planner sees every problem at once.
User-facing text comes from ``etl.messages`` in Chinese (default) or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from etl import messages


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which file, where in it, and what (a message code).

    Parameters
    ----------
    code
        Key into ``etl.messages.MESSAGES``.
    file
        The file (or region-file section) the problem is in.
    where
        Row, band, column or key inside the file, e.g. ``"第 12 行"`` is rendered from
        ``row=12``; pass it through ``params`` (``row``, ``band``, ``column``, ``key``).
    params
        Values the message template names (found, expected, fix details).
    """

    code: str
    file: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """The full message: file, location, what was found, what was expected, the fix."""
        return messages.render(self.code, self.file, self.params, lang)

    def reason(self, lang: str | None = None) -> str:
        """The message without the file prefix (for the rejects table)."""
        return messages.render(self.code, None, self.params, lang)


class OneMapError(Exception):
    """Base class of every error OneMap raises on purpose."""


class UsageError(OneMapError, ValueError):
    """A command was called wrongly (exit code 2)."""

    def __init__(self, code: str, lang: str | None = None, **params: Any):
        self.code, self.params = code, params
        super().__init__(messages.render(code, None, params, lang))


class DataError(OneMapError, ValueError):
    """Input data has problems (exit code 1). Holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self, lang: str | None = None) -> str:
        """All problems, one per line, numbered."""
        head = messages.render("problems_header", None, {"n": len(self.problems)}, lang)
        lines = [f"  {i}. {p.text(lang)}" for i, p in enumerate(self.problems, 1)]
        return "\n".join([head, *lines])


class StoreError(OneMapError, OSError):
    """The store is missing, unreadable or of another schema version."""

    def __init__(self, code: str, lang: str | None = None, **params: Any):
        self.code, self.params = code, params
        super().__init__(messages.render(code, None, params, lang))

    def render(self, lang: str | None = None) -> str:
        return messages.render(self.code, None, self.params, lang)


class SchemaMismatchError(StoreError):
    """The store was built by another schema version; rebuild it."""


class CrsError(OneMapError, ValueError):
    """A CRS declaration OneMap cannot understand."""

    def __init__(self, found: str):
        self.code, self.found = "crs_unknown", found
        super().__init__(messages.render("crs_unknown", None, {"found": found}, "en"))
