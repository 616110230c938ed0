"""Django's password pages, with the change recorded in the ledger: a person's row is sealed, so
a password set without an event would be reported by ``kuzbass ledger verify``."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponse

from kuzbass.platform.ledger.services import append_event, lock_ledger


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            lock_ledger()
            response = super().form_valid(form)
            append_event(
                "account.changed", {"user": form.user.get_username(), "change": "password"}
            )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            lock_ledger()
            response = super().form_valid(form)
            append_event("account.changed", {"user": form.user.get_username(), "change": "reset"})
        return response
