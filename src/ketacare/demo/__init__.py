"""`ketacare demo`: two clinics, their staff and synthetic patients for a fresh install.

- `profiles`: the demo people and vocabularies (data only);
- `planner`: turns profiles into per-patient plans (pure, seeded);
- `staff`, `patients`, `treatment`, `rems`, `selfreport`, `consent`: one builder per
  domain, idempotent, writing through the domain's actions where that is cheap and rows
  directly only for back-dated history the actions cannot express (the demo builders are
  the one allowed exception to "writes go through actions");
- `population`: `--patients N`, bulk synthetic patients for load and benchmarks;
- `management/commands/demo.py`: the command, which only wires these together.
"""
