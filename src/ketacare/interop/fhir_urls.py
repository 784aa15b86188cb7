"""Mounted at /fhir/ by config/urls.py: `path("fhir/", include("ketacare.interop.fhir_urls"))`."""

from django.urls import path, re_path

from .fhir import views

urlpatterns = [
    path("metadata", views.metadata, name="fhir-metadata"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)/?$", views.type_level, name="fhir-type"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-\.]{1,64})/?$",
            views.instance_level, name="fhir-instance"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="fhir-not-found"),
]
