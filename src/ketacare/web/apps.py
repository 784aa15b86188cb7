from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketacare.web"
    label = "web"
    verbose_name = "KetaCare web shell"
