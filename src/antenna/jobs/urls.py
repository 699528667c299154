from django.urls import path

from antenna.jobs import views

app_name = "jobs"
urlpatterns = [
    path("jobs/", views.job_index, name="list"),
    path("jobs/<int:pk>/", views.job_detail, name="detail"),
    path("jobs/<int:pk>/log/", views.job_log, name="log"),
    path("jobs/<int:pk>/cancel/", views.job_cancel_view, name="cancel"),
    path("allocations/<int:allocation_pk>/jobs/new/", views.job_submit_page, name="submit"),
    path("allocations/<int:allocation_pk>/jobs/estimate/", views.job_estimate, name="estimate"),
    path("allocations/<int:allocation_pk>/jobs/templates/", views.recipe_index, name="recipes"),
    path("allocations/<int:allocation_pk>/jobs/templates/<slug:slug>/", views.recipe_job,
         name="recipe"),
    path("allocations/<int:allocation_pk>/jobs/templates/<slug:slug>/preview/",
         views.recipe_preview, name="recipe_preview"),
]
