from django.urls import path

from . import clinic_views

urlpatterns = [
    path("staff/", clinic_views.staff_list, name="clinic-staff"),
    path("staff/invite/", clinic_views.staff_invite, name="clinic-staff-invite"),
    path("staff/<int:user_id>/<slug:action>/", clinic_views.member_action,
         name="clinic-member-action"),
    path("settings/", clinic_views.settings_page, name="clinic-settings"),
]
