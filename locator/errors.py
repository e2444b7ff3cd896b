"""The project's own errors: domain code raises these, views turn them into sentences.

A message people read is a %-style template with named parameters (``"The distance can be
at most %(limit)s %(unit)s."``), kept apart on the error so the web layer can translate the
template and then fill it in (locator/web/i18n.py). ``str(error)`` is the English sentence.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown, not here."""
    return message


class Term(str):
    """A word inside a message that is translated along with it ("distance", "miles")."""

    __slots__ = ()


class Choices(tuple[str, ...]):
    """Quoted alternatives inside a message: “a” or “b” (the “or” is translated)."""

    __slots__ = ()

    def __str__(self) -> str:
        return " or ".join(f"“{item}”" for item in self)


class Message(str):
    """A sentence for people that is not an error; its template is kept for translation."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        made = super().__new__(cls, template % params if params else template)
        made.template = template
        made.params = params
        return made


class LocatorError(Exception):
    """Base of every error the project raises on purpose."""

    def __init__(self, message: str = "", **params: Any) -> None:
        self.template = message
        self.params = params
        super().__init__(message % params if params else message)


class ConfigError(LocatorError):
    """A setting is missing, unknown or has a value of the wrong kind."""


class BadQueryError(LocatorError):
    """A search parameter is missing or out of range; the message says what to enter."""

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


class UnknownPlaceError(BadQueryError):
    """A place could not be located; carries close suggestions when there are any."""

    def __init__(self, query: str, suggestions: list[str] | None = None) -> None:
        self.query = query
        self.suggestions = suggestions or []
        if self.suggestions:
            message = N_("We couldn't find the place “%(query)s”. Did you mean %(choices)s?")
            choices = Choices(self.suggestions)
        else:
            message = N_(
                "We couldn't find that place: “%(query)s”. Enter a 5-digit ZIP code like "
                "59001, a city like “Miami” or “Billings, MT”, or a state like “Montana”."
            )
            choices = Choices()
        params: dict[str, Any] = {"query": query}
        if choices:
            params["choices"] = choices
        super().__init__(message, field="near", **params)


class GeocoderUnavailableError(LocatorError):
    """The configured online geocoder did not answer in time."""


class NotFoundError(LocatorError):
    """A record asked for by id does not exist."""
