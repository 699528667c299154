from django.urls import path

from antenna.notifications import views

app_name = "notifications"
urlpatterns = [
    path("notices/", views.notice_index, name="list"),
    path("notices/read/", views.notice_read_all, name="read_all"),
    path("notices/preferences/", views.preferences, name="preferences"),
]
