from django.urls import path

from . import audit_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("audit/", audit_views.audit_list, name="audit-list"),
]
