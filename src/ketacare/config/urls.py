from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("ketacare.web.urls")),
    path("accounts/", include("ketacare.accounts.urls")),
    path("clinic/", include("ketacare.accounts.clinic_urls")),
    path("calculator/", include("ketacare.calculator.urls")),
    path("patients/", include("ketacare.patients.urls")),
    path("pk/", include("ketacare.pkexplorer.urls")),
    path("ledger/", include("ketacare.ledger.urls")),
    path("treatment/", include("ketacare.treatment.urls")),
    path("treatment/", include("ketacare.selfreport.letter_urls")),
    path("rems/", include("ketacare.rems.urls")),
    path("selfreport/", include("ketacare.selfreport.urls")),
    path("r/", include("ketacare.selfreport.public_urls")),
    path("fhir/", include("ketacare.interop.fhir_urls")),
    path("api/v1/", include("ketacare.interop.api_urls")),
    path("interop/", include("ketacare.interop.ui_urls")),
    path("outcomes/", include("ketacare.analytics.urls")),
    path("", include("ketacare.consent.urls")),
]
# Off by default: the pages above are how a clinic is run. An operator who turns it on
# gets it for superusers with two-factor only, every change audited (accounts/django_admin).
if settings.KETACARE_DJANGO_ADMIN:
    urlpatterns.append(path("admin/", admin.site.urls))
