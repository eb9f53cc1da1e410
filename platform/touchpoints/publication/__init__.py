"""Proof of publication: is the current list really on the agency's site (seeds 5.1 / 5.4, 5.2 / 5.5)."""
