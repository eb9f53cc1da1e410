"""Background jobs people wait for: a file to download, an import to apply (docs/jobs.md)."""
