"""Reminder e-mails about deadlines: claimed exactly once, gathered into one digest a day."""
