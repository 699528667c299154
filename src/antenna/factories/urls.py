from django.urls import path

from antenna.factories import views

app_name = "factories"
urlpatterns = [
    path("factories/", views.factory_index, name="list"),
    path("accounts/site-accounts/", views.site_accounts, name="site_accounts"),
]
