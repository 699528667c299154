from django.urls import path

from antenna.organizations import views

app_name = "organizations"
urlpatterns = [
    path("organisations/", views.organization_index, name="list"),
    path("organisations/new/", views.organization_new, name="create"),
    path("invitations/", views.invitation_index, name="invitations"),
    path("invitations/<int:pk>/accept/", views.invitation_answer, {"answer": "accept"},
         name="invitation_accept"),
    path("invitations/<int:pk>/decline/", views.invitation_answer, {"answer": "decline"},
         name="invitation_decline"),
    path("organisations/<int:pk>/members/<str:username>/remove/", views.member_remove,
         name="member_remove"),
    path("organisations/<int:pk>/members/<str:username>/role/", views.member_set_role,
         name="member_set_role"),
    path("organisations/<int:pk>/invitations/<int:invitation_pk>/revoke/",
         views.invitation_withdraw, name="invitation_revoke"),
    # detail and add_member: portal/urls.py (the page lists proposals and allocations)
]
