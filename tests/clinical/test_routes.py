"""The route vocabulary: every treatment route has a label, a PK route and a PK model the
simulator knows, and the protocols and screening use the same routes."""

from __future__ import annotations

from ketacare.clinical import eligibility, protocols, routes
from ketacare.clinical.pk.models import MODEL_IDS, routes_for


def test_every_route_maps_to_a_simulated_route_of_its_model() -> None:
    assert set(routes.PK_ROUTE) == set(routes.ROUTES) == set(routes.SHORT_LABELS)
    for route in routes.ROUTES:
        model = routes.pk_model(route)
        assert model in MODEL_IDS
        assert routes.PK_ROUTE[route] in routes_for(model)


def test_esketamine_route_is_the_only_esketamine_route() -> None:
    assert {routes.ESKETAMINE_ROUTE} == routes.ESKETAMINE
    assert routes.RACEMIC | routes.ESKETAMINE == routes.ALL_ROUTES
    assert routes.pk_model(routes.ESKETAMINE_ROUTE) == "perez-ruixo-2021"
    assert {p.route for p in protocols.DEFAULT_PROTOCOLS.values() if p.drug == "esketamine"} \
        == {routes.ESKETAMINE_ROUTE}


def test_screening_and_protocols_share_the_vocabulary() -> None:
    assert eligibility.ROUTES is routes.ROUTES
    assert {p.route for p in protocols.DEFAULT_PROTOCOLS.values()} == set(routes.ROUTES)
