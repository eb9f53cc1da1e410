"""Imports every model so that metadata, Alembic and RLS set-up see all tables."""

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.lists.models import AreaStatus, Entry, ListVersion, VersionEntry
from touchpoints.mail.models import MailMessage
from touchpoints.regions.models import Agency, FormTemplate, Region, Subdivision

__all__ = [
    "Agency",
    "AreaStatus",
    "AuditEvent",
    "Entry",
    "FormTemplate",
    "ListVersion",
    "MailMessage",
    "Region",
    "Subdivision",
    "User",
    "VersionEntry",
]
