from django.urls import path

from antenna.opportunities import views

app_name = "opportunities"
urlpatterns = [
    path("opportunities/", views.opportunity_index, name="list"),
    path("opportunities/<int:pk>/", views.opportunity_for_organization, name="organization"),
]
