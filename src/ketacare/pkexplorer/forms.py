"""The PK explorer's input: one patient, up to three dose scenarios side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

if TYPE_CHECKING:
    from ketacare.clinical.pk import Scenario

ROUTE_LABELS = {
    "iv": "IV", "im": "IM", "sc": "SC", "oral": "Oral", "sublingual": "Sublingual",
    "intranasal": "Intranasal",
}
SCENARIOS = 3
# A sensible first view: the IV induction dose, the esketamine starting dose, IM.
DEFAULTS: list[dict[str, Any]] = [
    {"model": "domino", "route": "iv", "dose": 0.5, "unit": "mg_per_kg", "infusion_min": 40},
    {"model": "perez-ruixo-2021", "route": "intranasal", "dose": 56, "unit": "mg",
     "infusion_min": 0},
    {"model": "domino", "route": "im", "dose": 0.5, "unit": "mg_per_kg", "infusion_min": 0},
]


class ExplorerForm(forms.Form):
    weight_kg = forms.FloatField(label="Weight (kg)", min_value=20, max_value=300, initial=70)
    age_y = forms.IntegerField(label="Age (years)", min_value=18, max_value=100,
                               required=False, initial=45)
    hours = forms.IntegerField(label="Show hours", min_value=1, max_value=24, initial=4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The simulator package loads numpy/scipy: imported when a form is made, not when
        # the URL configuration that every `ketacare` command loads is (tests/cli).
        from ketacare.clinical.pk import MODEL_IDS

        super().__init__(*args, **kwargs)
        models = [(m, m) for m in MODEL_IDS]
        routes = list(ROUTE_LABELS.items())
        for n in range(1, SCENARIOS + 1):
            d = DEFAULTS[n - 1]
            self.fields[f"on_{n}"] = forms.BooleanField(required=False, initial=True,
                                                        label=f"Scenario {n}")
            # Checked only for the scenarios switched on (see `scenarios`).
            self.fields[f"model_{n}"] = forms.ChoiceField(choices=models, initial=d["model"],
                                                          label="Model", required=False)
            self.fields[f"route_{n}"] = forms.ChoiceField(choices=routes, initial=d["route"],
                                                          label="Route", required=False)
            self.fields[f"dose_{n}"] = forms.FloatField(min_value=0.001, max_value=1000,
                                                        initial=d["dose"], label="Dose",
                                                        required=False)
            self.fields[f"unit_{n}"] = forms.ChoiceField(
                choices=[("mg_per_kg", "mg/kg"), ("mg", "mg")], initial=d["unit"],
                label="Unit", required=False)
            self.fields[f"infusion_min_{n}"] = forms.FloatField(
                min_value=0, max_value=240, initial=d["infusion_min"], required=False,
                label="Infusion (min)")

    def rows(self) -> list[list[forms.BoundField]]:
        names = ("on", "model", "route", "dose", "unit", "infusion_min")
        return [[self[f"{name}_{n}"] for name in names] for n in range(1, SCENARIOS + 1)]

    def scenarios(self) -> list[Scenario]:
        from ketacare.clinical.pk import Scenario

        data = self.cleaned_data
        out = []
        for n in range(1, SCENARIOS + 1):
            if not data.get(f"on_{n}"):
                continue
            missing = [name for name in ("model", "route", "dose", "unit")
                       if data.get(f"{name}_{n}") in (None, "")]
            for name in missing:
                self.add_error(f"{name}_{n}", f"Scenario {n} needs a {name}.")
            if missing:
                continue
            dose = data[f"dose_{n}"]
            dose_mg = dose * data["weight_kg"] if data[f"unit_{n}"] == "mg_per_kg" else dose
            route = data[f"route_{n}"]
            unit = "mg/kg" if data[f"unit_{n}"] == "mg_per_kg" else "mg"
            label = f"{n}: {data[f'model_{n}']} {ROUTE_LABELS[route]} {dose:g} {unit}"
            out.append(Scenario(
                model=data[f"model_{n}"], route=route, dose_mg=round(dose_mg, 3),
                weight_kg=data["weight_kg"], age_y=data.get("age_y"),
                infusion_min=(data.get(f"infusion_min_{n}") or 0.0) if route == "iv" else 0.0,
                label=label,
            ))
        return out
