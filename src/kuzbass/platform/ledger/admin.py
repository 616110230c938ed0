"""The ledger is append-only: the admin shows events but cannot add, change or delete them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kuzbass.platform.ledger.models import LedgerEvent


@admin.register(LedgerEvent)
class LedgerEventAdmin(admin.ModelAdmin):
    list_display = ("sequence", "kind", "recorded_at", "hash")
    list_filter = ("kind",)
    search_fields = ("kind", "hash")
    readonly_fields = ("sequence", "kind", "recorded_at", "payload", "previous_hash", "hash")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
