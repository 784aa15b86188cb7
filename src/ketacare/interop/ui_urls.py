from django.urls import path

from . import export_views, token_views

urlpatterns = [
    path("research-export/", export_views.research_export, name="research-export"),
    path("api-tokens/", token_views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:token_id>/revoke", token_views.api_token_revoke,
         name="api-token-revoke"),
]
