"""The CapabilityStatement, generated from the registry: it lists exactly the resource
types, interactions and search parameters the handlers implement."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .common import KETACARE
from .registry import load

SOFTWARE = "KetaCare"


def capability_statement(base_url: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for rt in sorted(load().values(), key=lambda r: r.name):
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if rt.create is not None:
            interactions.append({"code": "create"})
        resources.append({
            "type": rt.name,
            "documentation": rt.documentation or None,
            "interaction": interactions,
            "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                            for p in rt.all_params],
        })
        if not resources[-1]["documentation"]:
            del resources[-1]["documentation"]
        if rt.conditional_create:
            resources[-1]["conditionalCreate"] = True
    return {
        "resourceType": "CapabilityStatement",
        "id": "ketacare",
        "url": f"{KETACARE}/CapabilityStatement/ketacare",
        "name": "KetaCare",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "software": {"name": SOFTWARE},
        "implementation": {"description": "KetaCare FHIR R4 API", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Bearer token (ketacare api-token create); every request is "
                             "scoped to the token's clinic and audited. Result parameters "
                             "on every search: _count (0-500, default 20), _sort (prefix - "
                             "to reverse), _offset (paging links).",
            "security": {
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth", "display": "OAuth"}], "text": "Bearer token"}],
                "description": "Send 'Authorization: Bearer TOKEN'.",
            },
            "resource": resources,
        }],
    }
