"""Guards that every request passes before any view runs.

- Text that no database stores (a NUL character, a lone surrogate) is refused with a 400 naming
  the field, wherever it comes: the path, a query parameter, a form field or a JSON body. Views
  and services then never meet it (PostgreSQL would fail on NUL with a 500).
- A password check refused because too many run at once (:mod:`.passwords`) answers 429.

Refusals are JSON ``{"detail", "field"}`` under ``/api/``, as the API's own, and a short page
elsewhere.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from kuzbass.platform.core.checks import is_storable, unstorable_message
from kuzbass.platform.core.passwords import PasswordChecksBusyError

API_PREFIX = "/api/"
JSON_ESCAPES = (b"\\u", b"\x00")
"""A JSON body can only carry a NUL or a lone surrogate through one of these bytes."""


def refusal(request: HttpRequest, status: int, message: str, field: str | None = None) -> Any:
    """The answer to a refused request: JSON for the API, a page for people."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message, "field": field}, status=status)
    return render(request, "refused.html", {"message": message}, status=status)


def _json_strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys too), with where it sits: ``options[2]``."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            place = f"{where}.{key}" if where else str(key)
            yield place, key
            yield from _json_strings(item, place)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{where}[{index}]")


def _json_body_field(request: HttpRequest) -> str | None:
    body = request.body
    if not any(escape in body for escape in JSON_ESCAPES):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None  # not JSON: the API answers that itself
    for where, text in _json_strings(parsed, ""):
        if not is_storable(text):
            return where or "body"
    return None


def unstorable_field(request: HttpRequest) -> str | None:
    """The first place in the request holding text no database stores, or None."""
    if not is_storable(request.path):
        return "path"
    for key, values in request.GET.lists():
        if not all(map(is_storable, [key, *values])):
            return key if is_storable(key) else "query"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            if not all(map(is_storable, [key, *values])):
                return key if is_storable(key) else "form"
    else:  # the API parses any other body as JSON, whatever its content type says
        return _json_body_field(request)
    return None


class RequestGuard:
    """Refuse unstorable text (400) and answer a busy password check (429)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = unstorable_field(request)
        if field is not None:
            return refusal(request, 400, unstorable_message(field), field)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        if isinstance(error, PasswordChecksBusyError):
            response = refusal(request, 429, str(error))
            response["Retry-After"] = "1"
            return response
        return None


def forwarded_client_address(request: HttpRequest) -> str | None:
    """Behind a reverse proxy (``KUZBASS_BEHIND_PROXY=1``): the client's address as the proxy
    saw it, the last entry of ``X-Forwarded-For`` (earlier entries are the client's to forge)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR")
