"""The one base of every error a person must act on: it names the field, the value and the rule it broke.

Every stage raises a subclass of :class:`KuozhongError`; the command line turns any of them into one line on
stderr and exit code 2, the HTTP API into its one JSON error shape with the class's status code. Nothing
catches them by a list of names. Messages never carry a raw ID number, name or phone: callers mask values first.
"""

from __future__ import annotations

import re
from typing import ClassVar

_FIELD_IN_MESSAGE = re.compile(r"^field '([^']*)'")


class KuozhongError(ValueError):
    """Input or state a person must fix; ``str(err)`` is the whole message, for people.

    ``field`` names what is wrong (a column, a JSON path, an option), ``value`` the offending value as it may be
    shown (masked where personal), ``rule`` the rule it broke, ``message_zh`` the same message in Chinese. Where
    only a message is given, a leading ``field 'x':`` in it names the field. ``status`` is the HTTP status the API
    answers with, ``code`` a stable name of the kind of error that clients may branch on.
    """

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_input"

    def __init__(self, message: str = "", *, field: str | None = None, value: object = None,
                 rule: str | None = None, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message_zh = message_zh
        found = _FIELD_IN_MESSAGE.match(message)
        self.field: str | None = field if field is not None else (found.group(1) if found else None)
        self.value = value
        self.rule = rule
        self.message_zh = message_zh

    @property
    def message(self) -> str:
        """The message without its ``field 'x':`` prefix (the field is reported beside it)."""
        text = str(self)
        if self.field is not None:
            text = text.removeprefix(f"field '{self.field}': ")
        return text


class InputError(KuozhongError):
    """Input a person must fix at the terminal or in a request: a file, an option, a field of an application."""


class SourceError(KuozhongError):
    """A raw source that cannot be used: missing file, unreadable, or missing a required column."""

    code: ClassVar[str] = "unusable_source"


class NotFoundError(KuozhongError, LookupError):
    """Something asked for by name that does not exist (a model alias, a decision, a household)."""

    status: ClassVar[int] = 404
    code: ClassVar[str] = "not_found"
