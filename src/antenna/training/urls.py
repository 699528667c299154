from django.urls import path

from antenna.training import views

app_name = "training"
urlpatterns = [
    path("events/", views.event_index, name="list"),
    path("events/feed.ics", views.event_feed, name="feed"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/event.ics", views.event_ics, name="ics"),
    path("events/<int:pk>/register/", views.event_register, name="register"),
    path("events/<int:pk>/cancel/", views.event_cancel, name="cancel"),
]
