from django.urls import path

from antenna.allocations import views

app_name = "allocations"
urlpatterns = [
    path("allocations/", views.allocation_index, name="list"),
    path("allocations/<int:pk>/", views.allocation_detail, name="detail"),
    path("allocations/<int:pk>/final-report/", views.allocation_final_report,
         name="final_report"),
]
