"""The plan pages, under /plans/ (namespace ``plans``)."""

from django.urls import path
from django.views.generic import TemplateView

from kuzbass.platform.plans import proposal_views, views

app_name = "plans"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("run/", views.run_round, name="run"),
    path("priorities/", views.propose_priorities, name="priorities"),
    path("rules/", views.propose_rules, name="rules"),
    path("rounds/open/", views.open_round, name="open_round"),
    path("catalogue/", views.register, name="register"),
    path("diff/", views.diff, name="diff"),
    path("glossary/", TemplateView.as_view(template_name="plans/glossary.html"), name="glossary"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/adopt/", views.propose_adoption, name="adopt"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/close/", views.close_round, name="close_round"),
    path("councils/<slug:slug>/", views.council_plan, name="council"),
    path("councils/<slug:slug>/declare/", views.declare, name="declare"),
    path("councils/<slug:slug>/upload/", views.upload, name="upload"),
    path("councils/<slug:slug>/norms/", views.propose_norms, name="norms"),
    path("councils/<slug:slug>/needs/", views.submit_need, name="need"),
    path("councils/<slug:slug>/proposal/", proposal_views.proposal, name="proposal"),
]
