from django.urls import path

from antenna.portal import app_pages, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("triage/", views.triage, name="triage"),
    path("console/", views.console, name="console"),
    path("overview/", views.overview, name="overview"),
]

# Pages of one organisation or allocation that list other apps' rows: they keep their owning
# app's namespace (config/urls.py adds them to it), so `organizations:detail` stays stable.
organization_pages = [
    path("organisations/<int:pk>/", app_pages.organization_detail, name="detail"),
    path("organisations/<int:pk>/members/", app_pages.organization_member_add,
         name="add_member"),
]
allocation_pages = [
    path("allocations/<int:pk>/", app_pages.allocation_detail, name="detail"),
    path("allocations/<int:pk>/final-report/", app_pages.allocation_final_report,
         name="final_report"),
]
