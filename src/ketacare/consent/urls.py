"""Mounted at the site root by config/urls.py: staff pages under consent/, the public
education pages under learn/, the patient's secret links under p/."""

from django.urls import path

from . import public_views, views

urlpatterns = [
    path("consent/documents/", views.documents, name="consent-documents"),
    path("consent/documents/paragraph/<slug:route>/", views.education_paragraph,
         name="education-paragraph"),
    path("consent/patient/<uuid:patient_id>/", views.patient_consents, name="consent-patient"),
    path("consent/patient/<uuid:patient_id>/sign/<slug:route>/", views.sign,
         name="consent-sign"),
    path("consent/patient/<uuid:patient_id>/link/<slug:route>/", views.sign_link,
         name="consent-link"),
    path("consent/patient/<uuid:patient_id>/intake/", views.intake_start, name="intake-start"),
    path("consent/<int:consent_id>/pdf", views.consent_pdf, name="consent-pdf"),
    path("consent/<int:consent_id>/withdraw", views.withdraw, name="consent-withdraw"),
    path("consent/intake/<int:link_id>/", views.intake_review, name="intake-review"),
    path("consent/session/<int:session_id>/aftercare/", views.aftercare_sheet,
         name="aftercare-sheet"),
    path("learn/<int:clinic_id>/", public_views.learn_index, name="learn-index"),
    path("learn/<int:clinic_id>/<slug:route>/", public_views.learn, name="learn"),
    path("p/<str:token>/", public_views.patient_link, name="patient-link"),
    path("p/<str:token>/intake", public_views.intake_submit, name="intake-submit"),
    path("p/<str:token>/consent", public_views.consent_submit, name="consent-link-submit"),
]
