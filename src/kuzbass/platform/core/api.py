"""The root of the JSON API (django-ninja); each app adds its router in its ``ready()``.

Reading is public, as the councils' business is; every change needs a logged-in session and the
CSRF token (header ``X-CSRFToken``, from the ``csrftoken`` cookie that ``GET /api/csrf`` sets).
The schema is at ``/api/openapi.json``.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from kuzbass.platform.core.errors import ServiceError

api = NinjaAPI(
    title="kuzbass councils",
    version="1",
    description="Councils, motions, ballots, delegates, demands, the plan cycle, labour-time "
    "accounts and the public ledger.",
    urls_namespace="api",
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, error: ServiceError) -> HttpResponse:
    return api.create_response(
        request, {"detail": error.message, "field": error.field}, status=error.status
    )


class Problem(Schema):
    """Why a request was refused, and the field at fault when there is one."""

    detail: str
    field: str | None = None


ERRORS: dict[int, Any] = {400: Problem, 403: Problem, 404: Problem, 409: Problem}
"""The refusals every changing endpoint may answer with."""
