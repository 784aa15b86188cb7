"""The /api/v1 URL configuration lists its routes so that importing it does not load
django-ninja (tests/cli/test_startup.py); here the list is checked against the routes
django-ninja generates from api.py, so a new or changed endpoint cannot be left out."""

from __future__ import annotations

from ketacare.interop import api_urls


def test_routes_are_the_ones_ninja_generates() -> None:
    from ketacare.interop.api import api

    generated = [(str(p.pattern), p.name) for p in api_urls.ninja_patterns()]
    assert generated == api_urls.ROUTES
    assert api_urls.app_name == api.urls_namespace


def test_each_route_calls_its_ninja_view() -> None:
    ninja = {p.name: p.callback for p in api_urls.ninja_patterns()}
    for pattern in api_urls.urlpatterns:
        assert pattern.callback.__name__ == pattern.name
        assert pattern.callback.login_required is False  # type: ignore[attr-defined]
        assert pattern.callback.csrf_exempt is True  # type: ignore[attr-defined]
        assert api_urls._ninja_view(str(pattern.name)) is ninja[pattern.name]
