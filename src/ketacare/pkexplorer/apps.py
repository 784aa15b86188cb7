from django.apps import AppConfig


class PkExplorerConfig(AppConfig):
    name = "ketacare.pkexplorer"
    label = "pkexplorer"
