"""The project's own errors: domain code raises these, views turn them into sentences."""

from __future__ import annotations


class LocatorError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(LocatorError):
    """A setting is missing, unknown or has a value of the wrong kind."""


class BadQueryError(LocatorError):
    """A search parameter is missing or out of range; the message says what to enter."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownPlaceError(BadQueryError):
    """A place could not be located; carries close suggestions when there are any."""

    def __init__(
        self, query: str, suggestions: list[str] | None = None, *, ambiguous: bool = False
    ) -> None:
        self.query = query
        self.suggestions = suggestions or []
        message = f"We could not find the place “{query}”."
        if ambiguous:
            message = (
                f"Several places are called “{query}”. Add the state, for example "
                + " or ".join(f"“{s}”" for s in self.suggestions[:3])
                + "."
            )
        elif self.suggestions:
            message += " Did you mean " + " or ".join(f"“{s}”" for s in self.suggestions) + "?"
        else:
            message += " Enter a 5-digit ZIP code or a city and state, like “Charlottesville, VA”."
        super().__init__(message, field="near")


class GeocoderUnavailableError(LocatorError):
    """The configured online geocoder did not answer in time."""


class NotFoundError(LocatorError):
    """A record asked for by id does not exist."""
