"""Tenant definitions (tenants/): forms, catalogues, agencies; validated and synced into the database."""
