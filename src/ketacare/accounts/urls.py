from django.contrib.auth import views as auth_views
from django.urls import path

from . import account_views, two_factor_views, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("clinic/", views.choose_clinic, name="choose-clinic"),
    path("two-factor/", two_factor_views.setup, name="two-factor"),
    path("two-factor/verify/", two_factor_views.verify, name="two-factor-verify"),
    path("two-factor/recovery-codes/", two_factor_views.recovery_codes,
         name="two-factor-recovery-codes"),
    path("me/", account_views.account, name="account"),
    path("me/pin/", account_views.account_pin, name="account-pin"),
    path("me/alert-mobile/", account_views.account_alert_mobile, name="account-alert-mobile"),
    path("password/", account_views.ChangePasswordView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="accounts/password_change_done.html"), name="password_change_done"),
    path("password/forgot/", account_views.ForgotPasswordView.as_view(),
         name="password_reset"),
    path("password/forgot/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"), name="password_reset_done"),
    path("set-password/<uidb64>/<token>/", account_views.SetPasswordView.as_view(),
         name="password_reset_confirm"),
    path("set-password/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"),
         name="password_reset_complete"),
]
