"""The project's URLs plus the interop mounts, until config/urls.py includes them."""

from django.urls import include, path

from ketacare.config.urls import urlpatterns as project

_mounted = {str(p.pattern) for p in project}
urlpatterns = [
    *[p for p in project],
    *([path("fhir/", include("ketacare.interop.fhir_urls"))] if "fhir/" not in _mounted else []),
    *([path("api/v1/", include("ketacare.interop.api_urls"))] if "api/v1/" not in _mounted
      else []),
]
