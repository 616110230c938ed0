"""The platform's URLs: pages, the JSON API under /api/, Django's admin and account pages."""

from django.contrib import admin
from django.urls import include, path

from kuzbass.platform.core.api import api
from kuzbass.platform.councils import passwords, verifiable_views, views

urlpatterns = [
    # First, as no page lives under api/: a vote then skips matching against thirty page patterns.
    path("api/", api.urls),
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("councils/<slug:slug>/", views.council_detail, name="council"),
    path("councils/<slug:slug>/invite/", views.invite, name="invite"),
    path("councils/<slug:slug>/join/", views.join, name="join"),
    path("councils/<slug:slug>/affiliate/", views.affiliate, name="affiliate"),
    path("councils/<slug:slug>/motions/", views.table_motion, name="table_motion"),
    path("councils/<slug:slug>/demands/", views.raise_demand, name="raise_demand"),
    path("motions/<int:motion_id>/", views.motion_detail, name="motion"),
    path("motions/<int:motion_id>/amend/", views.amend, name="amend"),
    path("motions/<int:motion_id>/comment/", views.add_comment, name="comment"),
    path("motions/<int:motion_id>/ballot/", views.open_ballot, name="open_ballot"),
    path("motions/<int:motion_id>/petition/", views.sign_petition, name="sign_petition"),
    path("ballots/<int:ballot_id>/", views.ballot_detail, name="ballot"),
    path("ballots/<int:ballot_id>/vote/", views.vote, name="vote"),
    path("ballots/<int:ballot_id>/verifiable/", verifiable_views.ballot, name="verifiable_ballot"),
    path(
        "ballots/<int:ballot_id>/verifiable/upload/",
        verifiable_views.upload,
        name="verifiable_upload",
    ),
    path("councils/<slug:slug>/verifiable/", verifiable_views.rule, name="verifiable_rule"),
    path("ledger/export.jsonl", verifiable_views.ledger_export, name="ledger_export"),
    path("receipts/", views.receipt_check, name="receipt_check"),
    path("demands/", views.demand_tracker, name="demands"),
    path("demands/<int:demand_id>/", views.demand_detail, name="demand"),
    path("ledger/", views.ledger_list, name="ledger"),
    path("ledger/<int:sequence>/", views.ledger_event, name="ledger_event"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path(
        "accounts/password_change/",
        passwords.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("language/", include("django.conf.urls.i18n")),  # set_language: the switch's POST
    path("plans/", include("kuzbass.platform.plans.urls")),
    path("", include("kuzbass.platform.accounts.urls")),
    path("admin/", admin.site.urls),
]
