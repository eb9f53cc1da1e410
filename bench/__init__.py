"""Benchmarks (not tests): `python -m bench` runs them all, `python -m bench NAME` some.

Each module's ``run()`` returns its figures (bench/_harness.py ``Figure``): a value, its baseline
measured in the same run, and a threshold; the run exits non-zero when one is missed."""
