"""Read-only admin views: accounts change only through the services, which write the ledger."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kuzbass.platform.accounts.models import (
    Account,
    Consumption,
    CreditingBatch,
    Deductions,
    DeviationThreshold,
    FulfilmentReport,
    HourRegistration,
    Transfer,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("pk", "kind", "user", "council", "opened_at")
    list_filter = ("kind",)


@admin.register(Transfer)
class TransferAdmin(ReadOnly):
    list_display = ("pk", "kind", "debit", "credit", "seconds", "registration", "batch")
    list_filter = ("kind",)


@admin.register(HourRegistration)
class HourRegistrationAdmin(ReadOnly):
    list_display = ("pk", "workplace", "worker", "period", "key", "seconds", "confirmed_at")
    list_filter = ("period",)


for model in (Consumption, CreditingBatch, Deductions, DeviationThreshold, FulfilmentReport):
    admin.site.register(model, ReadOnly)
