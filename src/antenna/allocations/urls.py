from django.urls import path

from antenna.allocations import views

app_name = "allocations"
urlpatterns = [
    path("allocations/", views.allocation_index, name="list"),
    # detail and final_report: portal/urls.py (the page lists the allocation's jobs)
]
