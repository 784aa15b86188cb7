from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="outcomes-dashboard"),
    path("report.pdf", views.dashboard_pdf, name="outcomes-pdf"),
]
