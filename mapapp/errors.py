"""Exceptions -> messages for users, in one table (titiler's DEFAULT_STATUS_CODES pattern).

Known errors become an alert in the user's language; anything else is logged with its
traceback and shown as a generic alert.
"""

from __future__ import annotations

import logging
import re

from layers import StoreUnavailable, ViewportError
from mapapp.i18n import t

logger = logging.getLogger(__name__)

#: Exception class -> translation key; ``{detail}`` is the exception's message.
USER_MESSAGES: dict[type[BaseException], str] = {
    ViewportError: "error.viewport",
    LookupError: "error.not_found",
    ValueError: "error.input",
}


#: What Python itself (not this project) says; such text never reaches a user.
PYTHON_WORDS = re.compile(
    r"math domain error|cannot convert|invalid literal|could not convert|unpack|out of range|not in list|"
    r"object is not|has no attribute|unsupported operand|unhashable|positional argument|NoneType|"
    r"maximum recursion|is not subscriptable|not iterable|must be real number|division by zero|"
    r"codec can't|Expecting value|Extra data", re.IGNORECASE)


class UserError(ValueError):
    """A refusal worded for users: ``t(key, lang, **params)`` in their language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(t(key, "en", **params))
        self.key, self.params = key, params

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


def user_message(exc: BaseException, lang: str) -> str:
    """What to tell the user about ``exc`` (logs unknown exceptions with their traceback).

    Messages of this project's own checks ("k: found '0'; expected ...") are shown; Python's
    own words ("math domain error", "invalid literal for int()") never are.
    """
    if isinstance(exc, StoreUnavailable):
        return exc.en if lang == "en" else exc.zh
    if hasattr(exc, "zh") and hasattr(exc, "en"):  # layers errors that carry both languages
        return exc.en if lang == "en" else exc.zh
    if isinstance(exc, UserError):
        return exc.text(lang)
    if isinstance(exc, (KeyError, IndexError)) or (
            isinstance(exc, (ValueError, LookupError)) and PYTHON_WORDS.search(str(exc))):
        logger.warning("input refused with Python's own message", exc_info=exc)
        return t("error.input_plain", lang)
    for cls, key in USER_MESSAGES.items():
        if isinstance(exc, cls):
            return t(key, lang, detail=str(exc).strip("'\""))
    logger.error("unexpected error in a callback", exc_info=exc)
    return t("error.generic", lang)
