"""Hypothesis in the clinical core's tests: no per-example deadline. The rules are pure and
fast (about 1 ms an example); on the shared test machine a first example sometimes waits
hundreds of milliseconds for the CPU, and the 200 ms default then fails a correct test
(seen in instruments/test_registry.py: 697 ms, then 1 ms on replay). A profile is
global: once this directory is collected it holds for the whole run."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("clinical", deadline=None)
settings.load_profile("clinical")
