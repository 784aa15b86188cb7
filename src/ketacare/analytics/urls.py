from django.urls import path

from . import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="outcomes-dashboard"),
    path("report.pdf", dashboard.dashboard_pdf, name="outcomes-pdf"),
]
