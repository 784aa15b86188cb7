from django.urls import path

from . import views

urlpatterns = [
    path("", views.pick, name="calculator"),
    path("<slug:instrument_id>/", views.calculate, name="calculator-instrument"),
]
