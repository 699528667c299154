from django.urls import path

from antenna.organizations import views

app_name = "organizations"
urlpatterns = [
    path("organisations/", views.organization_index, name="list"),
    path("organisations/new/", views.organization_new, name="create"),
    path("organisations/<int:pk>/", views.organization_detail, name="detail"),
    path("organisations/<int:pk>/members/", views.organization_member_add, name="add_member"),
]
