"""Errors a person can cause; pages and the JSON API answer each with its status and message."""


class ServiceError(Exception):
    """An action refused; ``status`` is the HTTP status the pages and the API answer with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(ServiceError):
    """The request itself is malformed: a missing field, a bad value."""


class NotAllowedError(ServiceError):
    """The person may not do this (not logged in, not a member, not an officer)."""

    status = 403


class NotFoundError(ServiceError):
    """The thing acted on does not exist."""

    status = 404


class RefusedError(ServiceError):
    """Allowed in general, but not now: voted already, ballot closed, motion already decided."""

    status = 409
