from django.urls import path

from . import export_views

urlpatterns = [path("research-export/", export_views.research_export, name="research-export")]
