"""Mounted at /api/v1/ by config/urls.py: `path("api/v1/", include("ketacare.interop.api_urls"))`.

Token-authenticated: exempt from the login redirect (LoginRequiredMiddleware) and from CSRF
(no cookie is ever used)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver
from django.views.decorators.csrf import csrf_exempt

from .api import api


def _exempt(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for p in patterns:
        if isinstance(p, URLResolver):
            _exempt(p.url_patterns)
        else:
            p.callback = login_not_required(csrf_exempt(p.callback))
    return patterns


urls, _, namespace = api.urls
app_name = namespace  # reverse("api-v1:...") as ninja expects
urlpatterns = _exempt(list(urls))
