from django.apps import AppConfig


class SelfReportConfig(AppConfig):
    name = "ketacare.selfreport"
    label = "selfreport"
    verbose_name = "Patient self-report"
