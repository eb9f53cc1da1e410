"""Benchmarks (not tests): `python -m bench` runs them all, `python -m bench.NAME` one.

Each prints its figures as ratios against a baseline measured in the same run."""
