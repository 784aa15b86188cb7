"""The signed-in staff member's own API tokens: when each was made, last used and expires,
and a button to revoke it. Creating one stays an operator's command (`ketacare api-token
create`), so a secret is never shown in a page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ketacare.ids import int_id

from .auth import revoke_token
from .models import ApiToken


def _mine(request: HttpRequest) -> QuerySet[ApiToken]:
    """The signed-in user's tokens (sign-in is required by LoginRequiredMiddleware)."""
    user = request.user
    return ApiToken.objects.filter(user_id=user.pk if user.is_authenticated else -1)


@require_GET
def api_tokens(request: HttpRequest) -> HttpResponse:
    tokens = _mine(request).select_related("clinic")
    return render(request, "interop/api_tokens.html", {"tokens": tokens})


@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Only one's own token: anyone else's, like a missing one, is a 404."""
    try:
        token = _mine(request).get(pk=int_id(token_id))
    except (ApiToken.DoesNotExist, ValueError):
        raise Http404("No such API token") from None
    revoke_token(token, request=request)
    messages.success(request, f"Token {token.name or token.pk} revoked: it no longer works.")
    return redirect("api-tokens")
