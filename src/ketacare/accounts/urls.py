from django.contrib.auth import views as auth_views
from django.urls import path

from . import two_factor_views, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("clinic/", views.choose_clinic, name="choose-clinic"),
    path("two-factor/", two_factor_views.setup, name="two-factor"),
    path("two-factor/verify/", two_factor_views.verify, name="two-factor-verify"),
]
