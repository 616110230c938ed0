"""Django's admin for the councils.

Decisions change only through the services, which write the ledger: so the admin shows motions,
ballots, mandates and demands read-only. Founding a council through the admin goes through the
service (and the ledger) too.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kuzbass.platform.councils import models, services


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "quorum", "ordinary_threshold", "open_signup")
    list_filter = ("kind",)
    search_fields = ("name", "slug")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        founded = services.found_council(
            name=obj.name,
            slug=obj.slug,
            kind=obj.kind,
            description=obj.description,
            open_signup=obj.open_signup,
            constitution=obj.constitution_dict(),
            delegate_seats=obj.delegate_seats,
        )
        obj.pk = founded.pk


@admin.register(models.Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "council", "role", "represents", "joined_at", "ended_at")
    list_filter = ("role", "council")
    search_fields = ("user__username", "council__name")


@admin.register(models.Motion)
class MotionAdmin(ReadOnlyAdmin):
    list_display = ("council", "number", "title", "kind", "status", "tabled_at")
    list_filter = ("kind", "status", "council")
    search_fields = ("title", "text")


@admin.register(models.Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "motion",
        "method",
        "secret",
        "opens_at",
        "closes_at",
        "closed_at",
        "carried",
    )
    list_filter = ("method", "secret")


@admin.register(models.Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ("delegate", "council", "body", "started_at", "ended_at", "end_reason")


@admin.register(models.Demand)
class DemandAdmin(ReadOnlyAdmin):
    list_display = ("council", "number", "title", "category", "status", "responsible_body")
    list_filter = ("status", "category")
    search_fields = ("title",)


@admin.register(models.Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("council", "role", "note", "invited_by", "expires_at", "accepted_by")


@admin.register(models.Affiliation)
class AffiliationAdmin(ReadOnlyAdmin):
    list_display = ("member_council", "body", "admitted_at", "ended_at")
