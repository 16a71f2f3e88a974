"""/reports/: the page, and one CSV per report."""

from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.reports_index, name="index"),
    # Before the reports' slugs, which would take "settings" for one.
    path("settings/", views.report_settings, name="settings"),
    path("<slug:slug>/", views.report_detail, name="report"),
    path("<slug:slug>.csv", views.report_csv, name="csv"),
]
