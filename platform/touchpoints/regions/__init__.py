"""Regions, agencies (the tenants), their subdivisions and the form templates."""
