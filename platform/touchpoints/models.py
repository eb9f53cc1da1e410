"""Imports every model so that metadata, Alembic and RLS set-up see all tables."""

from touchpoints.api.models import ApiToken
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import LoginSession, User
from touchpoints.calendar.models import CalendarOverride  # noqa: F401
from touchpoints.dashboard.models import AgencyFigures  # noqa: F401
from touchpoints.deadlines.models import Deadline, Publication, Reconfirmation  # noqa: F401
from touchpoints.lists.models import AreaStatus, Entry, ListVersion, VersionEntry
from touchpoints.mail.models import MailMessage
from touchpoints.notifications.models import Notification, NotificationPreference  # noqa: F401
from touchpoints.orders.models import OrderDocument
from touchpoints.public.models import PublishedFile
from touchpoints.regions.models import Agency, FormTemplate, Region, Subdivision
from touchpoints.reminders.models import (  # noqa: F401
    Reminder,
    ReminderDigest,
    ReminderOptOut,
    ReminderPolicy,
)
from touchpoints.transfer.models import ImportSession

__all__ = [
    "Agency",
    "ApiToken",
    "AreaStatus",
    "AuditEvent",
    "Entry",
    "FormTemplate",
    "ImportSession",
    "ListVersion",
    "LoginSession",
    "MailMessage",
    "OrderDocument",
    "PublishedFile",
    "Region",
    "Subdivision",
    "User",
    "VersionEntry",
]
