from django.urls import path

from antenna.expertise import views

app_name = "expertise"
urlpatterns = [
    path("expertise/", views.request_index, name="list"),
    path("expertise/new/", views.request_new, name="create"),
    path("expertise/queue/", views.queue, name="queue"),
    path("expertise/<int:pk>/", views.request_detail, name="detail"),
    path("expertise/<int:pk>/messages/", views.request_message, name="message"),
    path("expertise/<int:pk>/resolve/", views.request_resolve, name="resolve"),
    path("expertise/<int:pk>/rating/", views.request_rate, name="rate"),
    path("expertise/<int:pk>/wait/", views.request_wait, name="wait"),
    path("expertise/<int:pk>/messages/<int:message_pk>/attachment/", views.message_attachment,
         name="attachment"),
]
