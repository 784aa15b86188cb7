from django.http import HttpRequest

from ketacare import __version__


def product(request: HttpRequest) -> dict[str, str]:
    return {"version": __version__}
