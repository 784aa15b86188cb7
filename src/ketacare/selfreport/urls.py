from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="selfreport-home"),
    path("alerts/", views.alerts, name="selfreport-alerts"),
    path("alerts/<int:pk>/acknowledge", views.acknowledge, name="selfreport-alert-ack"),
    path("alerts/<int:pk>/action", views.act, name="selfreport-alert-action"),
    path("patient/<uuid:patient_id>/", views.patient_page, name="selfreport-responses"),
    path("patient/<uuid:patient_id>/send", views.send_now, name="selfreport-send"),
    path("patient/<uuid:patient_id>/kiosk", views.kiosk, name="selfreport-kiosk"),
]
