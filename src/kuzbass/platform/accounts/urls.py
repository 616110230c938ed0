"""The account pages (included at the site root by ``kuzbass.platform.urls``)."""

from django.urls import path

from kuzbass.platform.accounts import views

urlpatterns = [
    path("account/", views.my_account, name="my_account"),
    path("account/consume/", views.consume, name="consume"),
    path("registrations/<int:registration_id>/confirm/", views.confirm, name="confirm_hours"),
    path("councils/<slug:slug>/hours/", views.workplace_hours, name="workplace_hours"),
    path("councils/<slug:slug>/hours/register/", views.register, name="register_hours"),
    path("councils/<slug:slug>/hours/threshold/", views.set_threshold, name="deviation_threshold"),
    path("councils/<slug:slug>/hours/report/", views.report, name="report_fulfilment"),
    path("statistics/", views.statistics, name="statistics"),
    path("self-accounting/", views.self_accounting, name="self_accounting"),
]
