from django.urls import path

from . import views

urlpatterns = [
    path("", views.due, name="rems-due"),
    path("sessions/<int:session_id>/", views.form_page, name="rems-form"),
    path("sessions/<int:session_id>/amend/", views.amend, name="rems-amend"),
    path("sessions/<int:session_id>/pdf/", views.form_pdf, name="rems-pdf"),
]
