from django import template

register = template.Library()


@register.filter
def words(code: str) -> str:
    """snake_case code to a readable label: "moderately_severe" -> "Moderately severe"."""
    return str(code).replace("_", " ").capitalize()


@register.filter
def split(text: str) -> list[str]:
    return str(text).split()


@register.filter
def field(form: object, name: str) -> object:
    """A bound field by name: {{ form|field:"weight_kg" }}."""
    return form[name]  # type: ignore[index]
