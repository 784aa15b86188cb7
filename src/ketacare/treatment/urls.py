from django.urls import path

from . import protocol_views, review_views, views

urlpatterns = [
    path("patients/<uuid:patient_id>/courses/new/", views.course_new, name="course-new"),
    path("protocols/", protocol_views.protocol_list, name="protocol-list"),
    path("protocols/<int:protocol_id>/edit/", protocol_views.protocol_edit, name="protocol-edit"),
    path("protocols/<int:protocol_id>/copy/", protocol_views.protocol_copy, name="protocol-copy"),
    path("protocols/<int:protocol_id>/export/", protocol_views.protocol_export,
         name="protocol-export"),
    path("protocols/import/", protocol_views.protocol_import, name="protocol-import"),
    path("protocols/use/<slug:key>/", protocol_views.protocol_adopt, name="protocol-adopt"),
    path("courses/<int:course_id>/", views.course_detail, name="course-detail"),
    path("courses/<int:course_id>/induction-review/", review_views.induction_review,
         name="induction-review"),
    path("protocols/esketamine-label/", review_views.esketamine_label,
         name="esketamine-label"),
    path("sessions/<int:session_id>/", views.session_day, name="session-day"),
    path("sessions/<int:session_id>/step/<slug:step>/", views.session_step, name="session-step"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_ack, name="alert-ack"),
    path("sessions/<int:session_id>/plan/<slug:change>/", views.session_plan,
         name="session-plan"),
]
