from django import template

register = template.Library()


@register.filter
def words(code: str) -> str:
    """snake_case code to a readable label: "moderately_severe" -> "Moderately severe"."""
    return str(code).replace("_", " ").capitalize()
