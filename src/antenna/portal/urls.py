from django.urls import path

from antenna.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("triage/", views.triage, name="triage"),
    path("console/", views.console, name="console"),
    path("overview/", views.overview, name="overview"),
]
