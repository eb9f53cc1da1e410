"""The Russian production calendar: working days per region (Labour Code art. 112 and decrees)."""
