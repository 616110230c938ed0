"""Django's admin for the plan cycle: read-only, since every change goes through the services
(and the ledger); an administrator can look, not edit."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kuzbass.platform.plans import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("name", "unit")
    search_fields = ("name",)


@admin.register(models.Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "unit", "available")


@admin.register(models.Technique)
class TechniqueAdmin(ReadOnlyAdmin):
    list_display = ("name", "workplace", "product", "output", "labour", "capacity", "active")
    list_filter = ("active",)
    search_fields = ("name", "workplace__name", "product__name")


@admin.register(models.Need)
class NeedAdmin(ReadOnlyAdmin):
    list_display = ("council", "product", "use", "quantity", "demand")
    search_fields = ("council__name", "product__name")


@admin.register(models.PlanMatter)
class PlanMatterAdmin(ReadOnlyAdmin):
    list_display = ("council", "kind", "motion", "applied_at")
    list_filter = ("kind",)


@admin.register(models.PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ("congress", "number", "status", "mode", "created_at", "adopted_at")
    list_filter = ("status",)
    exclude = ("content",)


@admin.register(models.ParticipatoryRound)
class ParticipatoryRoundAdmin(ReadOnlyAdmin):
    list_display = ("congress", "series", "number", "deadline", "closed_at", "balanced", "final")
