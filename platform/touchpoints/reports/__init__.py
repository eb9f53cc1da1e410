"""The project office's quarterly report: indicators per agency and region, kept per quarter."""
