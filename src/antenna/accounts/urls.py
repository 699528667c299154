from django.urls import path

from antenna.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("oidc/login/", views.oidc_login, name="oidc_login"),
    path("oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/tokens/", views.token_new, name="token_create"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_delete, name="token_revoke"),
]
