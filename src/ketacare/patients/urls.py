from django.urls import path

from . import views

urlpatterns = [
    path("", views.patient_list, name="patient-list"),
    path("new/", views.patient_create, name="patient-create"),
    path("<uuid:patient_id>/", views.patient_chart, name="patient-chart"),
    path("<uuid:patient_id>/edit/", views.patient_edit, name="patient-edit"),
    path("<uuid:patient_id>/<slug:kind>/add/", views.entry_add, name="entry-add"),
    path("<uuid:patient_id>/<slug:kind>/<int:entry_id>/error/", views.entry_error,
         name="entry-error"),
    path("<uuid:patient_id>/medication/<int:entry_id>/stop/", views.medication_stop,
         name="medication-stop"),
    path("<uuid:patient_id>/screening/new/", views.screening_new, name="screening-new"),
    path("<uuid:patient_id>/screening/<int:screening_id>/decision/", views.screening_decide,
         name="screening-decide"),
]
