from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    name = "ketacare.calculator"
    label = "calculator"
