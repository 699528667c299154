from django.contrib.auth import views as auth_views
from django.urls import path

from antenna.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/",
         auth_views.LoginView.as_view(template_name="accounts/login.html",
                                      redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/tokens/", views.token_new, name="token_create"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_delete, name="token_revoke"),
]
