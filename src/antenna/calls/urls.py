from django.urls import path

from antenna.calls import views

app_name = "calls"
urlpatterns = [
    path("calls/", views.call_index, name="list"),
    path("calls/<int:pk>/", views.call_detail, name="detail"),
]
