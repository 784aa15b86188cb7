from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ketacare.analytics"
    label = "analytics"
