"""Set-password links: the one way a new person (first admin from `ketacare setup`, or a
member invited from the staff page) gets a password, and the forgotten-password flow too.

Django's `PasswordResetTokenGenerator` signs the user's id, password hash and last sign-in
with the secret key, so a link works once (setting the password changes the hash) and
expires after `PASSWORD_RESET_TIMEOUT` (24 h). Nothing is stored; a resend gives the
person a fresh unusable password first, which voids every older link. No one but the
person ever sees or chooses the password."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Clinic

LINK_HOURS = settings.PASSWORD_RESET_TIMEOUT // 3600


def set_password_link(user: User) -> str:
    """A fresh one-time link for `user`, absolute with KETACARE_BASE_URL."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.KETACARE_BASE_URL.rstrip("/") + path


def void_links(user: User) -> None:
    """Every earlier link of this user stops working (the token signs the password hash).
    The caller saves the user."""
    user.set_unusable_password()


def send_invite(user: User, clinic: Clinic, role_label: str, *, invited_by: str) -> str:
    """Email the person their link; returns the address it went to."""
    context = {"user": user, "clinic": clinic, "role": role_label, "invited_by": invited_by,
               "link": set_password_link(user), "hours": LINK_HOURS}
    subject = f"You have been invited to {clinic.name} on KetaCare"
    body = render_to_string("accounts/email/invite.txt", context)
    send_mail(subject, body, None, [user.email])
    return user.email


def send_added(user: User, clinic: Clinic, role_label: str, *, invited_by: str) -> None:
    """A person who already has a KetaCare sign-in is told about their new clinic; their
    password is not touched."""
    body = render_to_string("accounts/email/added.txt", {
        "user": user, "clinic": clinic, "role": role_label, "invited_by": invited_by,
        "login": settings.KETACARE_BASE_URL.rstrip("/") + reverse("login")})
    send_mail(f"You now have access to {clinic.name} on KetaCare", body, None, [user.email])
