"""/r/<token>/: the patient's questionnaire, opened without an account."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("<str:token>/", public_views.questionnaire, name="selfreport-link"),
    path("<str:token>/save", public_views.save, name="selfreport-link-save"),
    path("<str:token>/submit", public_views.submit, name="selfreport-link-submit"),
]
