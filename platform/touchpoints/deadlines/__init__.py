"""Deadlines of the orders: publication (seeds 5.4 / 5.5), review, periodic re-confirmation."""
