"""People, roles, logging in and out."""
