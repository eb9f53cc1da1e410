"""The agency's registry of processes, touchpoint passports and the region's shared touchpoints:
the pages, the import and the services that change them (docs/registry.md). The rows themselves
and the rules that read them are the list kernel's (lists.processes, lists.passports,
lists.coverage)."""
