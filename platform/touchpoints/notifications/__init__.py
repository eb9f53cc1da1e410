"""Notifications at the event: who hears what, at once or in the daily digest."""
