from django.urls import path

from antenna.proposals import views

app_name = "proposals"
urlpatterns = [
    path("proposals/", views.proposal_index, name="list"),
    path("calls/<int:call_pk>/apply/", views.proposal_new, name="create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="detail"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("proposals/<int:pk>/submit/", views.proposal_submit_view, name="submit"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw_view, name="withdraw"),
    path("proposals/<int:pk>/assess/", views.proposal_assess_view, name="assess"),
    path("proposals/<int:pk>/assign/", views.proposal_assign_view, name="assign"),
    path("proposals/<int:pk>/auto-assign/", views.proposal_auto_assign_view,
         name="auto_assign"),
    path("proposals/<int:pk>/decide/", views.proposal_decide_view, name="decide"),
    path("proposals/<int:pk>/review/", views.proposal_review_view, name="review"),
    path("reviews/", views.reviewer_queue, name="review_queue"),
    path("proposals/estimate/", views.proposal_estimate, name="estimate"),
]
