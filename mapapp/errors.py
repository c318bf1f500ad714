"""Exceptions -> messages for users, in one table (titiler's DEFAULT_STATUS_CODES pattern).

Known errors become an alert in the user's language; anything else is logged with its
traceback and shown as a generic alert.
"""

from __future__ import annotations

import logging

from layers import StoreUnavailable, ViewportError
from mapapp.error_text import zh_detail
from mapapp.i18n import t

logger = logging.getLogger(__name__)

#: Exception class -> translation key; ``{detail}`` is the exception's message.
USER_MESSAGES: dict[type[BaseException], str] = {
    ViewportError: "error.viewport",
    LookupError: "error.not_found",
    ValueError: "error.input",
}


def user_message(exc: BaseException, lang: str) -> str:
    """What to tell the user about ``exc`` (logs unknown exceptions with their traceback)."""
    if isinstance(exc, StoreUnavailable):
        return exc.en if lang == "en" else exc.zh
    for cls, key in USER_MESSAGES.items():
        if isinstance(exc, cls):
            detail = str(exc).strip("'\"")
            return t(key, lang, detail=detail if lang == "en" else zh_detail(detail))
    logger.error("unexpected error in a callback", exc_info=exc)
    return t("error.generic", lang)
