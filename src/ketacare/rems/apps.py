from django.apps import AppConfig


class RemsConfig(AppConfig):
    name = "ketacare.rems"
    label = "rems"
    verbose_name = "Spravato REMS monitoring forms"
