from django.urls import path

from antenna.organizations import views

app_name = "organizations"
urlpatterns = [
    path("organisations/", views.organization_index, name="list"),
    path("organisations/new/", views.organization_new, name="create"),
    # detail and add_member: portal/urls.py (the page lists proposals and allocations)
]
