"""The progress letter keeps its address under /treatment/ (config/urls.py includes this
there): the letter moved to self-report, its URL did not."""

from django.urls import path

from . import letter_views

urlpatterns = [
    path("patients/<uuid:patient_id>/letter/", letter_views.progress_letter,
         name="progress-letter"),
]
