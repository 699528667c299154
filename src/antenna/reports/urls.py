from django.urls import path

from antenna.reports import views

app_name = "reports"
urlpatterns = [
    path("reports/outlook/", views.outlook, name="outlook"),
    path("reports/export/<slug:name>.<slug:fmt>", views.export, name="export"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/indicators.csv", views.open_data, name="open_data"),
]
