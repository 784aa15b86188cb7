from django.urls import path

from . import enrollment_views, views

urlpatterns = [
    path("", views.due, name="rems-due"),
    path("sessions/<int:session_id>/", views.form_page, name="rems-form"),
    path("sessions/<int:session_id>/amend/", views.amend, name="rems-amend"),
    path("sessions/<int:session_id>/pdf/", views.form_pdf, name="rems-pdf"),
    path("patients/<uuid:patient_id>/enrollment/", enrollment_views.enrollment_page,
         name="rems-enrollment"),
    path("patients/<uuid:patient_id>/enrollment/<int:enrollment_id>/error/",
         enrollment_views.enrollment_error, name="rems-enrollment-error"),
]
